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
    public async Task An_entry_costs_one_index_entry_its_time_however_the_log_is_filtered()
    {
        // every run started through the API writes an entry: the action filter (a prefix match no index serves) does
        // without an index on action, so an entry is the row and its time's index entry (for retention and the dates)
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();

        var indexes = await db.Database.SqlQueryRaw<string>(db.Database.IsSqlite()
            ? "SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_entries' ORDER BY name"
            : "SELECT indexname AS \"Value\" FROM pg_indexes WHERE tablename = 'audit_entries' AND indexname <> 'PK_audit_entries' ORDER BY indexname").ToListAsync();

        Assert.Equal(["IX_audit_entries_at"], indexes);
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

/// <summary>Its own host: the runs, workflows and tokens made here would be counted by <see cref="AuditTests"/>' filtered exports.</summary>
public sealed class MoreAuditTests(UsersHost host) : IClassFixture<UsersHost>
{
    [Fact]
    public async Task The_csv_export_quotes_cells_and_defuses_formulas_and_the_dates_filter_the_export()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        // a name a person chose reaches the log as written: a spreadsheet must neither split it nor run it
        var made = await root.PostFormAsync("/Account/Tokens?handler=Create", new() { ["Name"] = "=SUM(1,2) \"ci\"", ["Scopes"] = "read", ["Days"] = "7" }, formPage: "/Account/Tokens");
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);

        var csv = await (await root.GetAsync("/Users/Audit?handler=Export&format=csv&Action=token.created")).Content.ReadAsStringAsync();
        Assert.Contains(",token.created,\"'=SUM(1,2) \"\"ci\"\"\",", csv);

        async Task<JsonArray> ExportAsync(string query) =>
            JsonNode.Parse(await (await root.GetAsync("/Users/Audit?handler=Export&format=json&" + query)).Content.ReadAsStringAsync())!.AsArray();
        var today = host.Time.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var tomorrow = host.Time.GetUtcNow().AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(await ExportAsync($"From={today}&To={today}"), e => e!["action"]!.GetValue<string>() == "token.created");
        Assert.Empty(await ExportAsync($"From={tomorrow}"));
    }

    [Fact]
    public async Task Invitations_deletions_trigger_secrets_pins_and_prompt_versions_are_audited()
    {
        var id = "audit_more_" + Guid.NewGuid().ToString("N")[..8];
        var definition = $$$"""{"workflow_id":"{{{id}}}","name":"More","steps":[{"step_id":"a","step_type":"template","action":"render","parameters":{"text":"hi"}}],"triggers":[{"trigger_id":"push","type":"webhook"}]}""";
        using var api = await host.ApiAsync(UsersHost.Root);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", new StringContent(definition, System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/workflows/{id}/triggers/push/rotate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/workflows/{id}/triggers/push/secret", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync($"/api/workflows/{id}/pins/a", new { output = "pinned" })).StatusCode);
        // a trigger is part of its workflow: switching it off saves the workflow's next version
        Assert.Equal(HttpStatusCode.NoContent, (await api.PostAsync($"/api/workflows/{id}/triggers/push/disable", null)).StatusCode);
        var prompt = "prompt_" + id;
        await api.PostAsJsonAsync("/api/prompts", new { template_id = prompt, template = "Hi {{x}}" });

        var root = await host.SignedInAsync(UsersHost.Root);
        var invited = UsersHost.NewName("invited");
        var added = await root.PostFormAsync("/Users?handler=Add", new() { ["NewUserName"] = invited, ["mode"] = "invite" }, formPage: "/Users");
        var link = new Uri(HtmlClient.Parse(await added.Content.ReadAsStringAsync()).QuerySelector("#invitation-link")!.GetAttribute("value")!).PathAndQuery;
        var browser = host.Anonymous();
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostFormAsync(link, new() { ["Password"] = "Chosen-Password-789", ["Confirm"] = "Chosen-Password-789" }, formPage: link)).StatusCode);
        var invitedId = await host.IdOfAsync(invited);
        await root.PostFormAsync("/Users?handler=Delete", new() { ["id"] = invitedId, ["recipient"] = await host.IdOfAsync(UsersHost.Root) }, formPage: "/Users");

        var entries = await host.InScope<List<Audit.AuditEntry>, AppDbContext>(db => db.AuditEntries.AsNoTracking().OrderBy(e => e.Id).ToListAsync());
        Audit.AuditEntry One(string action, string target) => Assert.Single(entries, e => e.Action == action && e.Target == target);
        Assert.Equal(UsersHost.Root, One("trigger.url-rotated", $"{id}/push").ActorName);
        Assert.Equal(UsersHost.Root, One("trigger.secret-made", $"{id}/push").ActorName);
        Assert.Equal("step a", One("workflow.pinned", id).Detail);
        Assert.Equal(["version 1", "version 2"], entries.Where(e => e.Action == "workflow.saved" && e.Target == id).Select(e => e.Detail));
        Assert.Equal("version 1", One("prompt.saved", prompt).Detail);
        Assert.Equal(UsersHost.Root, One("user.invited", invited).ActorName);
        // the invited user acts for themselves, before they have a session
        Assert.Equal((invited, invitedId), (One("user.invitation-accepted", invited).ActorName, One("user.invitation-accepted", invited).ActorId));
        var deleted = One("user.deleted", invited);
        Assert.Equal(UsersHost.Root, deleted.ActorName);
        Assert.Contains($"now belong to {UsersHost.Root}", deleted.Detail);
    }

    [Fact]
    public async Task Every_run_started_by_hand_is_audited_with_who_started_it_and_a_triggered_run_is_not()
    {
        var id = "by_hand_" + Guid.NewGuid().ToString("N")[..8];
        // the step fails at once (a loopback address is not allowed out): a run that resume can start again
        var definition = $$$"""{"workflow_id":"{{{id}}}","name":"By hand","steps":[{"step_id":"a","step_type":"http","action":"request","parameters":{"method":"GET","url":"http://127.0.0.1:9/refused"}}]}""";
        using var api = await host.ApiAsync(UsersHost.Root);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", new StringContent(definition, System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        var rootId = await host.IdOfAsync(UsersHost.Root);
        var (token, _) = await host.InScope<(string?, Dictionary<string, string>), PersonalTokens>(t => t.CreateAsync(rootId, "runs " + id, [TokenScopes.Run], 7, default));
        using var script = host.CreateClient();
        script.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var root = await host.SignedInAsync(UsersHost.Root);
        var started = new Dictionary<string, string>();

        // the API with the login token and with a personal token
        started["api"] = await RunIdAsync(await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = id, wait = false }));
        started["api with a personal token"] = await RunIdAsync(await script.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = id, wait = false }));
        // the dashboard's Run, a re-run and "Run this step"
        started["dashboard"] = RunIdOf(await root.PostFormAsync($"/Execute?workflow={id}", [], formPage: $"/Execute?workflow={id}"));
        started["re-run"] = RunIdOf(await root.PostFormAsync($"/Logs/{started["api"]}?handler=Rerun", [], formPage: $"/Logs/{started["api"]}"));
        started["run this step"] = RunIdOf(await root.PostFormAsync($"/Workflows/Pins/{id}?handler=RunStep",
            new() { ["stepId"] = "a", ["fromRun"] = started["api"] }, formPage: $"/Workflows/Pins/{id}"));
        started["api single step"] = await RunIdAsync(await script.PostAsJsonAsync($"/api/workflows/{id}/steps/a/run", new { from_run = started["api"] }));
        // resume, once the first run has failed
        await Runs.ResumeFromFailedStepTests.WaitForAsync(api, started["api"]);
        started["resume"] = await RunIdAsync(await api.PostAsync($"/api/runs/{started["api"]}/resume", null));
        // a run no person started (a schedule) is not audited
        var scheduled = await host.Services.GetRequiredService<AiOrchestra.Web.Runs.RunQueue>().EnqueueAsync(rootId, id, new Dictionary<string, JsonNode?>(), RunOrigin.Schedule("nightly"), default);

        var entries = await host.InScope<List<Audit.AuditEntry>, AppDbContext>(db =>
            db.AuditEntries.AsNoTracking().Where(e => e.Action == "run.started" && e.Target == id).ToListAsync());
        foreach (var (how, runId) in started)
        {
            var entry = Assert.Single(entries, e => e.Detail!.StartsWith($"run {runId},", StringComparison.Ordinal));
            Assert.True((UsersHost.Root, rootId) == (entry.ActorName, entry.ActorId), $"{how}: {entry.ActorName} {entry.ActorId}");
        }
        Assert.Equal(started.Count, entries.Count);
        Assert.DoesNotContain(entries, e => e.Detail!.Contains(scheduled.RunId!, StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Detail == $"run {started["re-run"]}, rerun, re-run of {started["api"]}");
        Assert.Contains(entries, e => e.Detail == $"run {started["resume"]}, resume, resumes run {started["api"]}");

        static async Task<string> RunIdAsync(HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
            return JsonNode.Parse(body)!["run_id"]!.GetValue<string>();
        }
        static string RunIdOf(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            return response.Headers.Location!.OriginalString.Split('/').Last();
        }
    }
}
