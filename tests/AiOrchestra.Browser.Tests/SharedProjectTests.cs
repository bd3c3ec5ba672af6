using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>
/// A shared project in Chromium: the administrator invites a user, the user accepts in a browser of their own, the
/// administrator makes a project and adds them as editor, the user switches to it in the header, makes and runs a
/// workflow there (which the administrator then sees in the project), and cannot open Users.
/// </summary>
public sealed class SharedProjectTests : IAsyncLifetime
{
    private const string Password = "Password123";
    private readonly BrowserHost _host = new(new Dictionary<string, string> { ["Admin:UserName"] = "admin", ["Admin:Password"] = Password });
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        (_playwright, _browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task An_invited_user_joins_a_shared_project_as_editor_runs_a_workflow_there_and_cannot_open_users()
    {
        var admin = await _host.NewPageAsync(_browser!);
        await admin.GotoAsync("/Account/Login");
        await admin.GetByLabel("User name").FillAsync("admin");
        await admin.GetByLabel("Password").FillAsync(Password);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await admin.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await admin.GetByLabel("User name").FillAsync("cai");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("cai is invited");
        var link = await admin.Locator("#invitation-link").InputValueAsync();

        // the user accepts in their own browser
        var user = await _host.NewPageAsync(_browser!);
        var expect = Assertions.Expect(user);
        await user.GotoAsync(link);
        await user.Locator("#password").FillAsync("Cai-Password-1");
        await user.GetByLabel("Password again").FillAsync("Cai-Password-1");
        await user.GetByRole(AriaRole.Button, new() { Name = "Choose password and log in" }).ClickAsync();
        await expect.ToHaveURLAsync(_host.BaseAddress.TrimEnd('/') + "/");

        // the administrator makes a shared project and adds the user as editor
        await admin.GetByRole(AriaRole.Link, new() { Name = "Projects", Exact = true }).ClickAsync();
        await admin.GetByLabel("Name").FillAsync("Team");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Members of Team" })).ToBeVisibleAsync();
        await admin.GetByLabel("User name").FillAsync("cai");
        await admin.GetByLabel("Role").SelectOptionAsync("editor");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save member" }).ClickAsync();
        await Assertions.Expect(admin.Locator("tr[data-member=cai] [data-field=role]")).ToHaveTextAsync("editor");

        // the user switches to it in the header
        await user.ReloadAsync();
        await user.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = "Team (editor)" });
        await user.GetByRole(AriaRole.Button, new() { Name = "Switch" }).ClickAsync();
        await Assertions.Expect(user.Locator("#project-switch option:checked")).ToHaveTextAsync("Team (editor)");
        // an editor there, not its admin: no Settings
        await Assertions.Expect(user.GetByRole(AriaRole.Link, new() { Name = "Settings", Exact = true })).ToHaveCountAsync(0);

        // a workflow in the project, run by hand
        await user.GotoAsync("/Workflows/Edit");
        await user.GetByLabel("Workflow id").FillAsync("team_hello");
        await user.GetByLabel("Name", new() { Exact = true }).FillAsync("Team hello");
        await user.Locator("#s0-id").FillAsync("greet");
        await Assertions.Expect(user.Locator("#s0-type")).ToHaveValueAsync("template");
        await Assertions.Expect(user.Locator("#s0-p-text")).ToBeVisibleAsync();
        await user.Locator("#s0-p-text").FillAsync("Hello from the team");
        await user.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await expect.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Workflows/Edit/team_hello"));
        await user.GetByRole(AriaRole.Link, new() { Name = "Run", Exact = true }).ClickAsync();
        await user.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await expect.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Logs/[0-9a-f-]{36}$"));
        await Assertions.Expect(user.Locator("#run-status")).ToHaveTextAsync("succeeded");

        // Users stays the administrators'
        var refused = await user.GotoAsync("/Users");
        Assert.Equal(403, refused!.Status);
        await Assertions.Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();

        // the administrator, in the project, sees the workflow and its run
        await admin.GotoAsync("/Workflows");
        await Assertions.Expect(admin.GetByText("team_hello").First).ToBeVisibleAsync();
        await admin.GotoAsync("/Logs");
        await Assertions.Expect(admin.Locator("table.runs tbody tr").Filter(new() { HasText = "team_hello" })).ToContainTextAsync("succeeded");
    }
}
