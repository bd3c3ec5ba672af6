using System.Net;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Workflows;

namespace AiOrchestra.Web.Tests.Triggers;

/// <summary>The editor's triggers panel and the workflow file export, through the pages as a browser uses them.</summary>
public sealed class TriggerPanelTests : IDisposable
{
    private readonly DashboardHost _host = new();

    public void Dispose() => _host.Dispose();

    private const string Workflow = """
        {"workflow_id": "panel", "steps": [{"step_id": "say", "step_type": "template", "action": "render", "parameters": {"text": "{{trigger}}"}}],
         "triggers": [{"trigger_id": "push", "type": "webhook", "signed": true},
                      {"trigger_id": "nightly", "type": "schedule", "cron": "0 2 * * *", "time_zone": "Europe/Berlin"}]}
        """;

    private async Task<HttpClient> SignedInWithWorkflowAsync()
    {
        var owner = await _host.CreateUserAsync("ada");
        var saved = await _host.InScope<WorkflowSaveResult, WorkflowStore>(store => store.SaveAsync(owner, WorkflowJson.Parse(Workflow).Workflow!, CancellationToken.None));
        Assert.True(saved.Succeeded, string.Join("\n", saved.Errors));
        return await _host.SignedInAsync("ada");
    }

    [Fact]
    public async Task The_panel_shows_the_webhook_url_and_the_next_three_due_times_and_a_secret_only_once()
    {
        using var client = await SignedInWithWorkflowAsync();

        var page = await client.GetDocumentAsync("/Workflows/Edit/panel");
        var url = page.QuerySelector("#hook-url-push")!.GetAttribute("value")!;
        Assert.Matches("^http://localhost/hooks/[A-Za-z0-9_-]{43}$", url);
        Assert.NotNull(page.QuerySelector("button[data-copy='#hook-url-push']"));
        Assert.Contains("requires a signature but has no secret yet", page.QuerySelector("#trigger-push")!.TextContent);
        var nextDue = page.QuerySelector("#trigger-nightly")!.TextContent;
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(nextDue, @"\d{4}-\d\d-\d\d (00|01):00:00 UTC").Count);

        var made = await client.PostFormAsync("/Workflows/Edit/panel?handler=Trigger", new() { ["triggerId"] = "push", ["act"] = "secret" }, "/Workflows/Edit/panel");
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        var secret = HtmlClient.Parse(await made.Content.ReadAsStringAsync()).QuerySelector("#secret-push")!.TextContent;
        Assert.Matches("^[0-9a-f]{64}$", secret);

        var again = await client.GetAsync("/Workflows/Edit/panel");
        Assert.DoesNotContain(secret, await again.Content.ReadAsStringAsync());
        var exported = await (await client.GetAsync("/Workflows/Edit/panel?handler=Export")).Content.ReadAsStringAsync();
        Assert.Contains("\"trigger_id\": \"push\"", exported);
        Assert.Contains("\"signed\": true", exported);
        Assert.DoesNotContain(secret, exported);
        Assert.DoesNotContain(url[(url.LastIndexOf('/') + 1)..], exported);
    }

    [Fact]
    public async Task Disable_and_enable_save_a_new_version_with_the_trigger_switched()
    {
        using var client = await SignedInWithWorkflowAsync();

        var disabled = await client.PostFormAsync("/Workflows/Edit/panel?handler=Trigger", new() { ["triggerId"] = "nightly", ["act"] = "disable" }, "/Workflows/Edit/panel");
        Assert.Equal(HttpStatusCode.Redirect, disabled.StatusCode);

        var page = await client.GetDocumentAsync("/Workflows/Edit/panel");
        Assert.Equal("false", page.QuerySelector("#trigger-nightly")!.GetAttribute("data-enabled"));
        Assert.DoesNotContain("Next due", page.QuerySelector("#trigger-nightly")!.TextContent);
        Assert.Contains("\"enabled\": false", page.QuerySelector("#workflow-triggers")!.TextContent);
        Assert.Equal("2", page.QuerySelectorAll("tbody tr td").First().TextContent);

        await client.PostFormAsync("/Workflows/Edit/panel?handler=Trigger", new() { ["triggerId"] = "nightly", ["act"] = "enable" }, "/Workflows/Edit/panel");
        page = await client.GetDocumentAsync("/Workflows/Edit/panel");
        Assert.Equal("true", page.QuerySelector("#trigger-nightly")!.GetAttribute("data-enabled"));
    }

    [Fact]
    public async Task Saving_from_the_step_editor_keeps_the_triggers_and_reports_their_errors_by_path()
    {
        using var client = await SignedInWithWorkflowAsync();
        var page = await client.GetDocumentAsync("/Workflows/Edit/panel");
        var fields = new Dictionary<string, string>
        {
            ["Form.Name"] = "",
            ["Form.Variables"] = "{}",
            ["Form.Steps[0].StepId"] = "say",
            ["Form.Steps[0].StepType"] = "template",
            ["Form.Steps[0].Action"] = "render",
            ["Form.Steps[0].Parameters[text]"] = "{{trigger}}",
            ["Form.Triggers"] = page.QuerySelector("#workflow-triggers")!.TextContent.Replace("0 2 * * *", "0 2 * *", StringComparison.Ordinal),
            ["Command"] = "save",
        };

        var refused = await client.PostFormAsync("/Workflows/Edit/panel", fields);
        var errors = HtmlClient.Parse(await refused.Content.ReadAsStringAsync()).QuerySelectorAll("[data-path='triggers[1].cron']");
        Assert.Contains("has 4 field(s)", Assert.Single(errors).TextContent);

        fields["Form.Triggers"] = page.QuerySelector("#workflow-triggers")!.TextContent;
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit/panel", fields)).StatusCode);
        page = await client.GetDocumentAsync("/Workflows/Edit/panel");
        Assert.NotNull(page.QuerySelector("#hook-url-push"));
        Assert.NotNull(page.QuerySelector("#trigger-nightly"));
    }
}
