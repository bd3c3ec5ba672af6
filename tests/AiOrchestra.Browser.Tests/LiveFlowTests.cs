using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>The run page's flow view follows the run live: a skipped step greyed, a loop's progress counting up, then done.</summary>
public sealed class LiveFlowTests : IAsyncLifetime
{
    private const string Workflow = """
        {
          "workflow_id": "live_flow",
          "steps": [
            { "step_id": "maybe", "step_type": "template", "action": "render", "parameters": { "text": "never" }, "when": "1 == 2" },
            { "step_id": "each", "step_type": "gate", "action": "wait", "parameters": { "name": "{{item}}" }, "for_each": "{{names}}" }
          ],
          "variables": { "names": ["a", "b", "c"] }
        }
        """;

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

    [Fact]
    public async Task The_flow_view_shows_a_skipped_step_greyed_and_a_loops_progress_live()
    {
        var page = await _host.NewPageAsync(_browser!);
        await _host.SetUpAdministratorAsync(page);
        await SaveAsync("admin", Workflow);

        await page.GotoAsync("/Execute?workflow=live_flow");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Logs/[0-9a-f-]{36}$"));
        await page.EvaluateAsync("() => window.stillThisPage = true");

        var maybe = page.Locator("#flow g[data-step='maybe']");
        var each = page.Locator("#flow g[data-step='each']");
        await Assertions.Expect(maybe).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-skipped"));
        // the live stream redraws the view on every event: a retrying assertion reads the element that is there now
        await Assertions.Expect(maybe).ToHaveCSSAsync("opacity", "0.5");
        await Assertions.Expect(each).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-running"));
        await Assertions.Expect(each).ToHaveAttributeAsync("data-progress", "0 of 3");

        _host.Gates.Gate("a").TrySetResult();
        await Assertions.Expect(each).ToHaveAttributeAsync("data-progress", "1 of 3");
        await Assertions.Expect(each.Locator(".flow-badges")).ToContainTextAsync("1 of 3");
        _host.Gates.Gate("b").TrySetResult();
        await Assertions.Expect(each).ToHaveAttributeAsync("data-progress", "2 of 3");
        _host.Gates.Gate("c").TrySetResult();

        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(each).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-succeeded"));
        await Assertions.Expect(each).ToHaveAttributeAsync("data-progress", "3 items");
        await Assertions.Expect(maybe).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-skipped"));
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillThisPage === true"), "the page reloaded instead of updating in place");
    }

    private async Task SaveAsync(string userName, string json)
    {
        using var scope = _host.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ownerId = await db.Users.Where(u => u.UserName == userName).Select(u => u.Id).SingleAsync();
        var parsed = WorkflowJson.Parse(json);
        Assert.True(parsed.Succeeded, string.Join("; ", parsed.Errors));
        var saved = await scope.ServiceProvider.GetRequiredService<WorkflowStore>().SaveAsync(ownerId, parsed.Workflow!, CancellationToken.None);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors));
    }
}
