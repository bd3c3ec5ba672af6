using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>
/// The try-fail-fix loop in the browser: a run fails at step 2 of 3, the fix is made in the editor, "Resume from
/// second" finishes the run without calling step 1 again, and the diff of the two versions shows the fix.
/// </summary>
public sealed class ResumeTests : IAsyncLifetime
{
    private readonly BrowserHost _host = new();
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

    private static async Task StepAsync(IPage page, int index, string name, string fail)
    {
        await page.Locator($"#s{index}-id").FillAsync(name);
        await page.Locator($"#s{index}-type").SelectOptionAsync("calls");
        await Assertions.Expect(page.Locator($"#s{index}-p-name")).ToBeVisibleAsync();
        await page.Locator($"#s{index}-p-name").FillAsync(name);
        await page.Locator($"#s{index}-p-fail").FillAsync(fail);
    }

    [Fact]
    public async Task A_run_failed_at_step_two_is_fixed_in_the_editor_resumed_without_calling_step_one_and_the_diff_shows_the_fix()
    {
        var page = await _host.NewPageAsync(_browser!);
        await _host.SetUpAdministratorAsync(page);

        // three steps; the second one fails
        await page.GotoAsync("/Workflows/Edit");
        await page.GetByLabel("Workflow id").FillAsync("resume_demo");
        await StepAsync(page, 0, "first", "no");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a step" }).ClickAsync();
        await StepAsync(page, 1, "second", "yes");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a step" }).ClickAsync();
        await StepAsync(page, 2, "third", "no");
        await page.Locator("#cmd-save").ClickAsync();
        await Assertions.Expect(page.GetByText("Saved.")).ToBeVisibleAsync();

        await page.GotoAsync("/Execute?workflow=resume_demo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#run-status")).ToHaveAttributeAsync("data-status", "failed");
        var failedRun = page.Url;
        Assert.Equal(["first", "second"], _host.Calls.Calls);

        // the fix, in the editor: version 2
        await page.GotoAsync("/Workflows/Edit/resume_demo");
        await page.Locator("#s1-p-fail").FillAsync("no");
        await page.Locator("#cmd-save").ClickAsync();
        await Assertions.Expect(page.GetByText("Saved.")).ToBeVisibleAsync();

        await page.GotoAsync(failedRun);
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume from second" }).ClickAsync();
        await Assertions.Expect(page).Not.ToHaveURLAsync(failedRun);
        await Assertions.Expect(page.Locator("#run-status")).ToHaveAttributeAsync("data-status", "succeeded");
        await Assertions.Expect(page.Locator("#resumed-from a")).ToHaveAttributeAsync("href", new Uri(failedRun).AbsolutePath);
        // step one was not called again
        Assert.Equal(["first", "second", "second", "third"], _host.Calls.Calls);

        // the diff of the two versions shows the fix
        await page.GotoAsync("/Workflows/Edit/resume_demo");
        await page.GetByRole(AriaRole.Link, new() { Name = "Compare versions side by side, restore one" }).ClickAsync();
        var deleted = page.Locator("table.diff td[data-change='modified'], table.diff td[data-change='deleted']");
        var inserted = page.Locator("table.diff td[data-change='modified'], table.diff td[data-change='inserted']");
        await Assertions.Expect(deleted.Filter(new() { HasText = "\"fail\": \"yes\"" })).ToHaveCountAsync(1);
        await Assertions.Expect(inserted.Filter(new() { HasText = "\"fail\": \"no\"" })).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "version-diff.png"), FullPage = true });
    }
}
