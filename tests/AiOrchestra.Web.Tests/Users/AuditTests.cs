using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Users;

public sealed class AuditTests(UsersHost host) : IClassFixture<UsersHost>
{
    private const string Workflow = """{"workflow_id":"audited","name":"Audited","steps":[{"step_id":"a","step_type":"template","action":"render","parameters":{"text":"hi"}}]}""";

    [Fact]
    public async Task Each_listed_action_leaves_an_entry_that_administrators_see_filter_and_export()
    {
        var name = UsersHost.NewName("audited");
        await host.Anonymous().PostFormAsync("/Account/Login", new() { ["UserName"] = UsersHost.Root, ["Password"] = "wrong-password" });
        var root = await host.SignedInAsync(UsersHost.Root);
        await root.PostFormAsync("/Users?handler=Add", new() { ["NewUserName"] = name, ["mode"] = "password", ["password"] = DashboardHost.Password }, formPage: "/Users");
        var userId = await host.IdOfAsync(name);
        await root.PostFormAsync("/Users?handler=Disable", new() { ["id"] = userId }, formPage: "/Users");
        await root.PostFormAsync("/Users?handler=Enable", new() { ["id"] = userId }, formPage: "/Users");
        await root.PostFormAsync("/Users?handler=Role", new() { ["id"] = userId, ["administrator"] = "true" }, formPage: "/Users");
        await root.PostFormAsync("/Users?handler=Role", new() { ["id"] = userId, ["administrator"] = "false" }, formPage: "/Users");
        await root.PostFormAsync("/Users?handler=Reset", new() { ["id"] = userId, ["password"] = "Another-Pass-123" }, formPage: "/Users");

        using var api = await host.ApiAsync(UsersHost.Root);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", new StringContent(Workflow, System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsync("/api/workflows/audited", new StringContent(Workflow, System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        await api.PostAsJsonAsync("/api/prompts", new { template_id = "audited_prompt", template = "Hi {{x}}" });
        await api.DeleteAsync("/api/prompts/audited_prompt");
        var run = await root.PostFormAsync("/Execute?workflow=audited", [], formPage: "/Execute?workflow=audited");
        Assert.True(run.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.OK, run.StatusCode.ToString());
        await api.DeleteAsync("/api/workflows/audited");
        await root.PostFormAsync("/Settings?handler=Save&key=OpenAI:ApiKey", new() { ["Value"] = "sk-audit" }, formPage: "/Settings");
        var made = await root.PostFormAsync("/Account/Tokens?handler=Create", new() { ["Name"] = "audit ci", ["Scopes"] = "read", ["Days"] = "7" }, formPage: "/Account/Tokens");
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        var tokenId = (await root.GetDocumentAsync("/Account/Tokens")).QuerySelector("tr[data-token='audit ci'] input[name=id]")!.GetAttribute("value")!;
        await root.PostFormAsync("/Account/Tokens?handler=Revoke", new() { ["id"] = tokenId }, formPage: "/Account/Tokens");

        var page = await root.GetDocumentAsync("/Users/Audit");
        var actions = page.QuerySelectorAll("tr[data-action]").Select(r => r.GetAttribute("data-action")!).ToHashSet();
        foreach (var expected in new[]
                 {
                     "sign-in.failed", "sign-in.succeeded", "user.added", "user.disabled", "user.enabled", "user.made-administrator", "user.made-user",
                     "user.password-reset", "workflow.saved", "workflow.deleted", "prompt.saved", "prompt.deleted", "run.started",
                     "credential.saved", "token.created", "token.revoked",
                 })
        {
            Assert.Contains(expected, actions);
        }

        var saves = await host.InScope<List<Audit.AuditEntry>, AppDbContext>(db =>
            db.AuditEntries.Where(e => e.Action == "workflow.saved" && e.Target == "audited").OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(["version 1", "version 2"], saves.Select(e => e.Detail));
        Assert.All(saves, e => Assert.Equal(UsersHost.Root, e.ActorName));
        var failed = await host.InScope<Audit.AuditEntry, AppDbContext>(db => db.AuditEntries.FirstAsync(e => e.Action == "sign-in.failed"));
        Assert.Equal(UsersHost.Root, failed.Target);
        // the address: see PersonalTokenTests.A_sign_in_is_audited_with_the_clients_address (a real connection)
        // no secret in the log: the key's name, never its value
        Assert.DoesNotContain(await host.InScope<List<Audit.AuditEntry>, AppDbContext>(db => db.AuditEntries.ToListAsync()), e => (e.Detail ?? "").Contains("sk-audit"));

        var filtered = await root.GetDocumentAsync("/Users/Audit?Action=user.&Actor=" + UsersHost.Root);
        Assert.All(filtered.QuerySelectorAll("tr[data-action]"), r => Assert.StartsWith("user.", r.GetAttribute("data-action")));

        var csv = await root.GetAsync("/Users/Audit?handler=Export&format=csv&Action=workflow.&Actor=" + UsersHost.Root);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal("at,actor,actor_id,action,target,detail,address", lines[0]);
        Assert.Equal(3, lines.Length - 1);
        var json = JsonNode.Parse(await (await root.GetAsync("/Users/Audit?handler=Export&format=json&Action=token.")).Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(["token.revoked", "token.created"], json.Select(e => e!["action"]!.GetValue<string>()));

        var user = await host.SignedInAsync(UsersHost.Root);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/Users/Audit")).StatusCode);
    }

    [Fact]
    public async Task The_database_refuses_to_change_or_delete_an_entry_and_users_cannot_open_the_log()
    {
        await host.SignedInAsync(UsersHost.Root);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.True(await db.AuditEntries.AnyAsync());

        var update = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => db.AuditEntries.ExecuteUpdateAsync(s => s.SetProperty(e => e.ActorName, "someone else")));
        Assert.Contains("cannot be changed", update.Message);
        var delete = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => db.AuditEntries.ExecuteDeleteAsync());
        Assert.Contains("cannot be deleted", delete.Message);

        var name = UsersHost.NewName("nosy");
        await host.CreateUserAsync(name);
        var nosy = await host.SignedInAsync(name);
        Assert.Equal(HttpStatusCode.Forbidden, (await nosy.GetAsync("/Users/Audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await nosy.GetAsync("/Users/Audit?handler=Export&format=csv")).StatusCode);
    }
}
