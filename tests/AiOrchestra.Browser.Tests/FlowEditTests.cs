using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>The workflow page's flow view edited in place: a box opens its step, a changed dependency redraws the arrows.</summary>
public sealed class FlowEditTests : IAsyncLifetime
{
    private const string Workflow = """
        {
          "workflow_id": "flow_edit",
          "steps": [
            { "step_id": "fetch", "step_type": "template", "action": "render", "parameters": { "text": "go" } },
            { "step_id": "triage", "step_type": "template", "action": "render", "parameters": { "text": "{{fetch_output}}" } },
            { "step_id": "notify", "step_type": "template", "action": "render", "parameters": { "text": "done" } }
          ]
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
    public async Task A_dependency_changed_in_the_flow_view_redraws_its_arrow_and_is_saved()
    {
        var page = await _host.NewPageAsync(_browser!);
        await _host.SetUpAdministratorAsync(page);
        await SaveAsync("admin", Workflow);

        await page.GotoAsync("/Workflows/Edit/flow_edit");
        await page.EvaluateAsync("() => window.stillThisPage = true");
        var fetchToNotify = page.Locator("#flow path.flow-edge[data-from='fetch'][data-to='notify']");
        var triageToNotify = page.Locator("#flow path.flow-edge[data-from='triage'][data-to='notify']");
        await Assertions.Expect(triageToNotify).ToHaveCountAsync(1);
        await Assertions.Expect(fetchToNotify).ToHaveCountAsync(0);

        // a click on notify's box opens its panel below the drawing: it waits for triage, the step before it
        await page.Locator("#flow g[data-step='notify']").ClickAsync();
        var panel = page.Locator("#flow-step");
        await Assertions.Expect(panel.Locator("h3")).ToHaveTextAsync("Step notify");
        await Assertions.Expect(page.Locator("#flow g[data-step='notify']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("selected"));
        await Assertions.Expect(panel.GetByLabel("triage")).ToBeCheckedAsync();

        // notify now waits for fetch instead: the arrow moves, the step editor below shows it, version 2 is stored
        await panel.GetByLabel("triage").UncheckAsync();
        await panel.GetByLabel("fetch").CheckAsync();
        await panel.GetByRole(AriaRole.Button, new() { Name = "Save the step's flow" }).ClickAsync();
        await Assertions.Expect(page.Locator("#flow-step [role=status]")).ToHaveTextAsync("Saved as version 2.");
        await Assertions.Expect(fetchToNotify).ToHaveCountAsync(1);
        await Assertions.Expect(triageToNotify).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("input[name='Form.Steps[2].DependsOn']")).ToHaveValueAsync("fetch");
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillThisPage === true"), "the page reloaded instead of updating in place");
        Assert.Equal(["fetch"], (await StoredAsync("admin")).Steps[2].DependsOn);

        // a box is a link: the keyboard opens another step the same way
        await page.Locator("#flow a.flow-link:has(g[data-step='triage'])").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(panel.Locator("h3")).ToHaveTextAsync("Step triage");

        await page.ReloadAsync();
        await Assertions.Expect(fetchToNotify).ToHaveCountAsync(1);
        await Assertions.Expect(triageToNotify).ToHaveCountAsync(0);
    }

    private async Task<string> OwnerAsync(IServiceScope scope, string userName) =>
        await scope.ServiceProvider.GetRequiredService<AppDbContext>().Users.Where(u => u.UserName == userName).Select(u => u.Id).SingleAsync();

    private async Task SaveAsync(string userName, string json)
    {
        using var scope = _host.Services.CreateScope();
        var parsed = WorkflowJson.Parse(json);
        Assert.True(parsed.Succeeded, string.Join("; ", parsed.Errors));
        var saved = await scope.ServiceProvider.GetRequiredService<WorkflowStore>().SaveAsync(await OwnerAsync(scope, userName), parsed.Workflow!, CancellationToken.None);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors));
    }

    private async Task<Workflow> StoredAsync(string userName)
    {
        using var scope = _host.Services.CreateScope();
        var stored = await scope.ServiceProvider.GetRequiredService<WorkflowStore>().GetAsync(await OwnerAsync(scope, userName), "flow_edit", CancellationToken.None);
        Assert.Equal(2, stored!.Version);
        return stored.Workflow;
    }
}
