using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>
/// A team in Chromium: the administrator invites a user, the user accepts in a browser of their own, runs a workflow
/// of their own, and is shown the 403 page when they try the Users page.
/// </summary>
public sealed class TeamsTests : IAsyncLifetime
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
    public async Task An_invited_user_accepts_runs_their_own_workflow_and_cannot_open_users()
    {
        // the administrator's browser
        var admin = await _host.NewPageAsync(_browser!);
        await admin.GotoAsync("/Account/Login");
        await admin.GetByLabel("User name").FillAsync("admin");
        await admin.GetByLabel("Password").FillAsync(Password);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await admin.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await admin.GetByLabel("User name").FillAsync("bea");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("bea is invited");
        var link = await admin.Locator("#invitation-link").InputValueAsync();
        Assert.StartsWith(_host.BaseAddress.TrimEnd('/') + "/Account/Invitation?token=", link);

        // the user's own browser: no cookie of the administrator's
        var user = await _host.NewPageAsync(_browser!);
        var expect = Assertions.Expect(user);
        await user.GotoAsync(link);
        await Assertions.Expect(user.Locator("[data-field=user]")).ToHaveTextAsync("bea");
        await user.Locator("#password").FillAsync("Bea-Password-1");
        await user.GetByLabel("Password again").FillAsync("Bea-Password-1");
        await user.GetByRole(AriaRole.Button, new() { Name = "Choose password and log in" }).ClickAsync();
        await expect.ToHaveURLAsync(_host.BaseAddress.TrimEnd('/') + "/");
        await Assertions.Expect(user.Locator("a.who")).ToHaveTextAsync("bea");
        await Assertions.Expect(user.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true })).ToHaveCountAsync(0);

        // a workflow of their own, run by hand
        await user.GotoAsync("/Workflows/Edit");
        await user.GetByLabel("Workflow id").FillAsync("bea_hello");
        await user.GetByLabel("Name", new() { Exact = true }).FillAsync("Bea's hello");
        await user.Locator("#s0-id").FillAsync("greet");
        // a new step is a template already; choosing it again would redraw the fields under the typing
        await Assertions.Expect(user.Locator("#s0-type")).ToHaveValueAsync("template");
        await Assertions.Expect(user.Locator("#s0-p-text")).ToBeVisibleAsync();
        await user.Locator("#s0-p-text").FillAsync("Hello from Bea");
        await user.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await expect.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Workflows/Edit/bea_hello"));
        await user.GetByRole(AriaRole.Link, new() { Name = "Run", Exact = true }).ClickAsync();
        await user.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await expect.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Logs/[0-9a-f-]{36}$"));
        await Assertions.Expect(user.Locator("#run-status")).ToHaveTextAsync("succeeded");

        // the Users page is the administrators': a 403 page in the layout
        var refused = await user.GotoAsync("/Users");
        Assert.Equal(403, refused!.Status);
        await Assertions.Expect(user.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();

        // the administrator sees the new user active, and does not see the user's workflow among their own
        await admin.ReloadAsync();
        await Assertions.Expect(admin.Locator("tr[data-user=bea] [data-field=status]")).ToHaveTextAsync("active");
        await admin.GotoAsync("/Workflows");
        await Assertions.Expect(admin.GetByText("bea_hello")).ToHaveCountAsync(0);
    }
}
