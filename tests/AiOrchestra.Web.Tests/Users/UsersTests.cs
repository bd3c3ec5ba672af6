using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Users;

public sealed class UsersTests(UsersHost host) : IClassFixture<UsersHost>
{
    private const string NewPassword = "Chosen-Password-789";

    [Fact]
    public async Task The_first_account_is_an_administrator_and_a_user_gets_the_403_page_on_users()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        var home = await root.GetDocumentAsync("/");
        Assert.NotNull(home.QuerySelector("nav a[href='/Users']"));
        var users = await root.GetDocumentAsync("/Users");
        Assert.Equal("administrator", users.QuerySelector($"tr[data-user='{UsersHost.Root}'] [data-field=role]")!.TextContent);

        var name = UsersHost.NewName("plain");
        await host.CreateUserAsync(name);
        var user = await host.SignedInAsync(name);
        Assert.Null((await user.GetDocumentAsync("/")).QuerySelector("nav a[href='/Users']"));

        var refused = await user.GetAsync("/Users");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("Not allowed", await refused.Content.ReadAsStringAsync());
        var post = await user.PostAsync("/Users?handler=Role", new FormUrlEncodedContent(new Dictionary<string, string> { ["id"] = await host.IdOfAsync(name), ["administrator"] = "true" }));
        Assert.True(post.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest, post.StatusCode.ToString());
        Assert.Equal("user", await RoleAsync(root, name));
    }

    [Fact]
    public async Task An_invited_user_chooses_a_password_once_and_the_link_then_says_it_was_used()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        var name = UsersHost.NewName("invited");
        var link = await InviteAsync(root, name);
        Assert.StartsWith("invited, link valid until", (await StatusAsync(root, name)).Trim());
        // no password yet: nobody can log in as the invited account
        var early = await host.Anonymous().PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = "" });
        Assert.Equal(HttpStatusCode.OK, early.StatusCode);

        var browser = host.Anonymous();
        var first = await browser.GetAsync(link);
        Assert.True(first.StatusCode == HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        var page = await browser.GetDocumentAsync(link);
        Assert.Equal(name, page.QuerySelector("[data-field=user]")!.TextContent);
        var accepted = await browser.PostFormAsync(link, new() { ["Password"] = NewPassword, ["Confirm"] = NewPassword }, formPage: link);
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/Workflows")).StatusCode);

        var again = await host.Anonymous().GetAsync(link);
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Contains("already used", await again.Content.ReadAsStringAsync());
        var reused = await host.Anonymous().PostAsync(link, new FormUrlEncodedContent(new Dictionary<string, string> { ["Password"] = "Another-Pass-123", ["Confirm"] = "Another-Pass-123" }));
        Assert.NotEqual(HttpStatusCode.Redirect, reused.StatusCode);
        Assert.Equal("active", (await StatusAsync(root, name)).Trim());
        Assert.Equal(HttpStatusCode.Redirect, (await host.Anonymous().PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = NewPassword })).StatusCode);
    }

    [Fact]
    public async Task An_invitation_expires_after_seven_days_and_a_new_link_replaces_it()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        var name = UsersHost.NewName("late");
        var link = await InviteAsync(root, name);
        host.Time.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        root = await host.SignedInAsync(UsersHost.Root);

        var expired = await host.Anonymous().GetAsync(link);
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync());
        Assert.Contains("link expired", await StatusAsync(root, name));

        var renewed = await root.PostFormAsync("/Users?handler=Reinvite", new() { ["id"] = await host.IdOfAsync(name) }, formPage: "/Users");
        var newLink = LinkOf(HtmlClient.Parse(await renewed.Content.ReadAsStringAsync()));
        Assert.NotEqual(link, newLink);
        Assert.Equal(HttpStatusCode.OK, (await host.Anonymous().GetAsync(newLink)).StatusCode);
    }

    [Fact]
    public async Task A_first_password_must_be_changed_before_anything_else()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        var name = UsersHost.NewName("given");
        var added = await root.PostFormAsync("/Users?handler=Add", new() { ["NewUserName"] = name, ["mode"] = "password", ["password"] = DashboardHost.Password }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Equal("must choose a password", (await StatusAsync(root, name)).Trim());

        var user = await host.SignedInAsync(name);
        var workflows = await user.GetAsync("/Workflows");
        Assert.Equal(HttpStatusCode.Redirect, workflows.StatusCode);
        Assert.Equal("/Account/Password", workflows.Headers.Location!.OriginalString);
        var api = await host.CreateClient().PostAsJsonAsync("/api/auth/login", new { username = name, password = DashboardHost.Password });
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
        Assert.Contains("choose your own", await api.Content.ReadAsStringAsync());

        var changed = await user.PostFormAsync("/Account/Password", new() { ["Current"] = DashboardHost.Password, ["New"] = NewPassword, ["Confirm"] = NewPassword });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/Workflows")).StatusCode);
    }

    [Fact]
    public async Task A_disabled_user_is_refused_at_once_on_the_dashboard_and_the_api_and_can_be_enabled_again()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        var name = UsersHost.NewName("disabled");
        await host.CreateUserAsync(name);
        var browser = await host.SignedInAsync(name);
        using var api = await host.ApiAsync(name);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/Workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/workflows")).StatusCode);

        var disabled = await root.PostFormAsync("/Users?handler=Disable", new() { ["id"] = await host.IdOfAsync(name) }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);

        // the very next request of each: no minute of grace
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/Workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/workflows")).StatusCode);
        var login = await host.Anonymous().PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = DashboardHost.Password });
        Assert.Contains("This account is disabled", await login.Content.ReadAsStringAsync());
        var apiLogin = await host.CreateClient().PostAsJsonAsync("/api/auth/login", new { username = name, password = DashboardHost.Password });
        Assert.Equal(HttpStatusCode.Forbidden, apiLogin.StatusCode);
        Assert.Equal("disabled", (await StatusAsync(root, name)).Trim());

        await root.PostFormAsync("/Users?handler=Enable", new() { ["id"] = await host.IdOfAsync(name) }, formPage: "/Users");
        // re-enabling does not revive the old session; a new login works
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/Workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await (await host.SignedInAsync(name)).GetAsync("/Workflows")).StatusCode);
    }

    [Fact]
    public async Task A_reset_password_ends_the_users_sessions_and_must_be_changed()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        var name = UsersHost.NewName("reset");
        await host.CreateUserAsync(name);
        var browser = await host.SignedInAsync(name);
        using var api = await host.ApiAsync(name);

        var reset = await root.PostFormAsync("/Users?handler=Reset", new() { ["id"] = await host.IdOfAsync(name), ["password"] = "Given-Password-456" }, formPage: "/Users");
        Assert.Contains("password is reset", await reset.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/Workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/workflows")).StatusCode);
        var again = host.Anonymous();
        Assert.Equal(HttpStatusCode.Redirect, (await again.PostFormAsync("/Account/Login", new() { ["UserName"] = name, ["Password"] = "Given-Password-456" })).StatusCode);
        Assert.Equal("/Account/Password", (await again.GetAsync("/Workflows")).Headers.Location!.OriginalString);

        var weak = await root.PostFormAsync("/Users?handler=Reset", new() { ["id"] = await host.IdOfAsync(name), ["password"] = "short" }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Contains("at least 10 characters", await weak.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Deleting_a_user_hands_their_workflows_prompts_and_runs_to_the_chosen_user()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        var leaving = UsersHost.NewName("leaving");
        var staying = UsersHost.NewName("staying");
        var leavingId = await host.CreateUserAsync(leaving);
        var stayingId = await host.CreateUserAsync(staying);
        var browser = await host.SignedInAsync(leaving);
        await SaveWorkflowAsync(leavingId, "handed_over");
        await SaveWorkflowAsync(leavingId, "both_have");
        await SaveWorkflowAsync(stayingId, "both_have");
        await host.InScope<PromptSaveResult, PromptStore>(s => s.SaveAsync(leavingId, new Engine.Prompts.PromptTemplate { TemplateId = "handed_prompt", Template = "Hi" }, default));
        var run = await host.Services.GetRequiredService<RunQueue>().EnqueueAsync(leavingId, "handed_over", new Dictionary<string, JsonNode?>(), default);

        // a workflow of the same id on both sides: refused, nothing changed
        var clash = await root.PostFormAsync("/Users?handler=Delete", new() { ["id"] = leavingId, ["recipient"] = stayingId }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.BadRequest, clash.StatusCode);
        Assert.Contains("already has workflows 'both_have'", HtmlClient.Parse(await clash.Content.ReadAsStringAsync()).QuerySelector("main [role=alert]")!.TextContent);
        Assert.NotNull(await host.FindAsync(leaving));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/Workflows")).StatusCode);

        var deleted = await root.PostFormAsync("/Users?handler=Delete", new() { ["id"] = leavingId, ["recipient"] = await host.IdOfAsync(UsersHost.Root) }, formPage: "/Users");
        Assert.Contains($"{leaving} is deleted", await deleted.Content.ReadAsStringAsync());
        Assert.Null(await host.FindAsync(leaving));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/Workflows")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/Workflows/Edit/handed_over")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/Workflows/Edit/both_have")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/Prompts/Edit/handed_prompt")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync($"/Logs/{run.RunId}")).StatusCode);
    }

    [Fact]
    public async Task A_deleted_users_login_token_and_personal_tokens_stop_at_once()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        var name = UsersHost.NewName("gone");
        var id = await host.CreateUserAsync(name);
        using var login = await host.ApiAsync(name);
        var (token, _) = await host.InScope<(string?, Dictionary<string, string>), AiOrchestra.Web.Tokens.PersonalTokens>(t => t.CreateAsync(id, "ci", [AiOrchestra.Web.Tokens.TokenScopes.Read], 30, default));
        using var script = host.CreateClient();
        script.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await login.GetAsync("/api/workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/workflows")).StatusCode);

        var deleted = await root.PostFormAsync("/Users?handler=Delete", new() { ["id"] = id, ["recipient"] = await host.IdOfAsync(UsersHost.Root) }, formPage: "/Users");
        Assert.Contains($"{name} is deleted", await deleted.Content.ReadAsStringAsync());

        // the very next request of each, with no time passed
        Assert.Equal(HttpStatusCode.Unauthorized, (await login.GetAsync("/api/workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/workflows")).StatusCode);
    }

    [Fact]
    public async Task The_last_administrator_cannot_be_demoted_disabled_or_deleted_and_a_demotion_applies_at_once()
    {
        var root = await host.SignedInAsync(UsersHost.Root);
        var rootId = await host.IdOfAsync(UsersHost.Root);
        // every other administrator of this host's other tests is made a user first
        foreach (var other in (await root.GetDocumentAsync("/Users")).QuerySelectorAll("tr[data-user]")
                     .Where(r => r.QuerySelector("[data-field=role]")!.TextContent == "administrator" && r.GetAttribute("data-user") != UsersHost.Root))
        {
            await root.PostFormAsync("/Users?handler=Role", new() { ["id"] = await host.IdOfAsync(other.GetAttribute("data-user")!), ["administrator"] = "false" }, formPage: "/Users");
        }

        var demote = await root.PostFormAsync("/Users?handler=Role", new() { ["id"] = rootId, ["administrator"] = "false" }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.BadRequest, demote.StatusCode);
        Assert.Contains("last administrator", await demote.Content.ReadAsStringAsync());
        var disableSelf = await root.PostFormAsync("/Users?handler=Disable", new() { ["id"] = rootId }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.BadRequest, disableSelf.StatusCode);
        Assert.Contains("You cannot disable your own account", await disableSelf.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/Users")).StatusCode);
        var second = UsersHost.NewName("second");
        var secondId = await host.CreateUserAsync(second);
        var delete = await (await host.SignedInAsync(UsersHost.Root)).PostFormAsync("/Users?handler=Delete", new() { ["id"] = rootId, ["recipient"] = secondId }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.BadRequest, delete.StatusCode);
        Assert.Equal("administrator", await RoleAsync(root, UsersHost.Root));

        // with a second administrator, the first may step down, and the second's pages follow the role at once
        await root.PostFormAsync("/Users?handler=Role", new() { ["id"] = secondId, ["administrator"] = "true" }, formPage: "/Users");
        var secondBrowser = await host.SignedInAsync(second);
        Assert.Equal(HttpStatusCode.OK, (await secondBrowser.GetAsync("/Users")).StatusCode);
        var disableRoot = await secondBrowser.PostFormAsync("/Users?handler=Disable", new() { ["id"] = rootId }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.OK, disableRoot.StatusCode);
        await secondBrowser.PostFormAsync("/Users?handler=Enable", new() { ["id"] = rootId }, formPage: "/Users");
        root = await host.SignedInAsync(UsersHost.Root);
        await root.PostFormAsync("/Users?handler=Role", new() { ["id"] = secondId, ["administrator"] = "false" }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.Forbidden, (await secondBrowser.GetAsync("/Users")).StatusCode);
        // and the second cannot disable the last administrator: the page is closed to them now
        Assert.Equal(HttpStatusCode.Forbidden, (await secondBrowser.GetAsync("/Users")).StatusCode);
    }

    private async Task SaveWorkflowAsync(string ownerId, string id)
    {
        var workflow = new Workflow
        {
            WorkflowId = id, Name = id,
            Steps = [new WorkflowStep { StepId = "hello", StepType = "template", Action = "render", Parameters = new JsonObject { ["text"] = "hi" } }],
        };
        var saved = await host.InScope<WorkflowSaveResult, WorkflowStore>(s => s.SaveAsync(ownerId, workflow, default));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors));
    }

    private static async Task<string> InviteAsync(HttpClient root, string name)
    {
        var response = await root.PostFormAsync("/Users?handler=Add", new() { ["NewUserName"] = name, ["mode"] = "invite" }, formPage: "/Users");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return LinkOf(HtmlClient.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static string LinkOf(AngleSharp.Html.Dom.IHtmlDocument page)
    {
        var link = page.QuerySelector("#invitation-link")!.GetAttribute("value")!;
        return new Uri(link).PathAndQuery;
    }

    private static async Task<string> RoleAsync(HttpClient root, string name) =>
        (await root.GetDocumentAsync("/Users")).QuerySelector($"tr[data-user='{name}'] [data-field=role]")!.TextContent;

    private static async Task<string> StatusAsync(HttpClient root, string name) =>
        (await root.GetDocumentAsync("/Users")).QuerySelector($"tr[data-user='{name}'] [data-field=status]")!.TextContent;
}

public sealed class TokensPageTests(UsersHost host) : IClassFixture<UsersHost>
{
    [Fact]
    public async Task A_token_made_on_the_page_is_shown_once_works_on_the_api_and_stops_when_revoked()
    {
        var name = UsersHost.NewName("scripter");
        await host.CreateUserAsync(name);
        var browser = await host.SignedInAsync(name);

        var made = await browser.PostFormAsync("/Account/Tokens?handler=Create", new() { ["Name"] = "CI deploy", ["Scopes"] = "read", ["Days"] = "30" }, formPage: "/Account/Tokens");
        var page = HtmlClient.Parse(await made.Content.ReadAsStringAsync());
        var token = page.QuerySelector("#new-token")!.GetAttribute("value")!;
        Assert.StartsWith("aio_", token);
        var listed = await browser.GetDocumentAsync("/Account/Tokens");
        Assert.Null(listed.QuerySelector("#new-token"));
        Assert.DoesNotContain(token, listed.DocumentElement.OuterHtml);
        Assert.Equal("never", listed.QuerySelector("tr[data-token='CI deploy'] [data-field=last-used]")!.TextContent);

        using var api = host.CreateClient();
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/workflows")).StatusCode);
        var forbidden = await api.PostAsync("/api/workflows/execute", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("lacks the 'run' scope", await forbidden.Content.ReadAsStringAsync());
        listed = await browser.GetDocumentAsync("/Account/Tokens");
        Assert.NotEqual("never", listed.QuerySelector("tr[data-token='CI deploy'] [data-field=last-used]")!.TextContent);

        var id = listed.QuerySelector("tr[data-token='CI deploy'] input[name=id]")!.GetAttribute("value")!;
        var revoked = await browser.PostFormAsync("/Account/Tokens?handler=Revoke", new() { ["id"] = id }, formPage: "/Account/Tokens");
        Assert.Contains("revoked", await revoked.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/workflows")).StatusCode);

        // another user's token id is not found
        var other = UsersHost.NewName("other");
        await host.CreateUserAsync(other);
        var otherBrowser = await host.SignedInAsync(other);
        Assert.Equal(HttpStatusCode.NotFound, (await otherBrowser.PostFormAsync("/Account/Tokens?handler=Revoke", new() { ["id"] = id }, formPage: "/Account/Tokens")).StatusCode);
    }
}
