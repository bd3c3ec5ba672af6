using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>A webhook trigger made in the editor, its URL copied with the copy button, called, and its run watched live.</summary>
public sealed class TriggerTests : IAsyncLifetime
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

    [Fact]
    public async Task A_webhook_made_in_the_editor_is_copied_called_and_its_run_streams_live()
    {
        var page = await _host.NewPageAsync(_browser!, new BrowserNewContextOptions { Permissions = ["clipboard-read", "clipboard-write"] });
        await _host.SetUpAdministratorAsync(page);

        // the workflow: a gate step the test opens, started by a webhook declared in the editor's triggers field
        await page.GotoAsync("/Workflows/Edit");
        await page.GetByLabel("Workflow id").FillAsync("hook_demo");
        await page.Locator("#s0-id").FillAsync("hold");
        await page.Locator("#s0-type").SelectOptionAsync("gate");
        await Assertions.Expect(page.Locator("#s0-p-name")).ToBeVisibleAsync();
        await page.Locator("#s0-p-name").FillAsync("hook-gate");
        await page.GetByLabel("Triggers", new() { Exact = false }).First.FillAsync("""[{"trigger_id": "incoming", "type": "webhook"}]""");
        await page.Locator("#cmd-save").ClickAsync();
        await Assertions.Expect(page.GetByText("Saved.")).ToBeVisibleAsync();

        // its URL, with a copy button
        var urlField = page.Locator("#hook-url-incoming");
        await Assertions.Expect(urlField).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^http://127\\.0\\.0\\.1:[0-9]+/hooks/[A-Za-z0-9_-]{43}$"));
        await page.Locator("[data-copy='#hook-url-incoming']").ClickAsync();
        await Assertions.Expect(page.Locator("[data-copy='#hook-url-incoming']")).ToHaveTextAsync("Copied");
        var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal(await urlField.InputValueAsync(), copied);

        // a caller posts to it and gets the run's id at once
        using var caller = new HttpClient();
        var response = await caller.PostAsync(copied, new StringContent("""{"event": "ping"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["run_id"]!.GetValue<string>();

        // the run streams live in its page
        await page.GotoAsync("/Logs/" + runId);
        await Assertions.Expect(page.Locator("#step-hold-delta")).ToHaveTextAsync("waiting on hook-gate");
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("running");
        await page.EvaluateAsync("() => window.stillThisPage = true");
        _host.Gates.Gate("hook-gate").SetResult();
        await Assertions.Expect(page.Locator("#step-hold")).ToHaveAttributeAsync("data-status", "succeeded");
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("succeeded");
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillThisPage === true"), "the page reloaded instead of updating live");

        // the editor shows what the trigger started
        await page.GotoAsync("/Workflows/Edit/hook_demo");
        await Assertions.Expect(page.Locator("#trigger-incoming a[href='/Logs/" + runId + "']")).ToBeVisibleAsync();
    }
}
