using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>An approval step in Chromium: the run page turns to waiting live, shows the request, and approving it there lets the run finish.</summary>
public sealed class ApprovalTests : IAsyncLifetime
{
    private readonly BrowserHost _host = new();
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly string _screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_screenshots);
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
    public async Task Approving_a_waiting_run_from_its_page_lets_it_finish()
    {
        var page = await _host.NewPageAsync(_browser!);
        await _host.SetUpAdministratorAsync(page);

        // the editor offers the approval step type with its fields
        await page.GotoAsync("/Workflows/Edit");
        await page.GetByLabel("Workflow id").FillAsync("ship");
        await page.Locator("#s0-id").FillAsync("build");
        await page.Locator("#s0-type").SelectOptionAsync("gate");
        await Assertions.Expect(page.Locator("#s0-p-name")).ToBeVisibleAsync();
        await page.Locator("#s0-p-name").FillAsync("build");
        await page.Locator("#cmd-add").ClickAsync();
        await page.Locator("#s1-id").FillAsync("review");
        await page.Locator("#s1-type").SelectOptionAsync("approval");
        await Assertions.Expect(page.Locator("#s1-p-message")).ToBeVisibleAsync();
        await page.Locator("#s1-p-message").FillAsync("Ship the build?");
        await page.Locator("#cmd-add").ClickAsync();
        await page.Locator("#s2-id").FillAsync("announce");
        // a new step is a template already; choosing it again would redraw the fields under the typing
        await Assertions.Expect(page.Locator("#s2-type")).ToHaveValueAsync("template");
        await Assertions.Expect(page.Locator("#s2-p-text")).ToBeVisibleAsync();
        await page.Locator("#s2-p-text").FillAsync("shipped, approved by {{review_output.by}}: {{review_output.comment}}");
        await page.Locator("#cmd-save").ClickAsync();
        await Assertions.Expect(page.GetByText("Saved.")).ToBeVisibleAsync();

        await page.GotoAsync("/Execute?workflow=ship");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Logs/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("running");

        // the run reaches the approval while the page watches: it turns waiting and the request appears, live
        _host.Gates.Gate("build").SetResult();
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("waiting");
        await Assertions.Expect(page.Locator("#step-review")).ToHaveAttributeAsync("data-status", "waiting");
        await Assertions.Expect(page.Locator(".approval-message")).ToHaveTextAsync("Ship the build?");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_screenshots, "run-waiting-for-approval.png"), FullPage = true });

        await page.GetByLabel("Comment (optional)").FillAsync("go ahead");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#step-review")).ToHaveAttributeAsync("data-status", "succeeded");
        await Assertions.Expect(page.Locator("#step-announce")).ToContainTextAsync("shipped, approved by admin: go ahead");
        await Assertions.Expect(page.Locator("#run-approval")).ToBeEmptyAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_screenshots, "run-approved.png"), FullPage = true });
    }
}
