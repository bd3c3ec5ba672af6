using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>The run page of a waiting run: the request with Approve and Reject, its polling, a plain form post, refusals.</summary>
public sealed class ApprovalPageTests : IDisposable
{
    private readonly DashboardHost _host = new();

    public void Dispose() => _host.Dispose();

    private async Task<string> WaitingRunAsync(string owner)
    {
        var parsed = WorkflowJson.Parse("""
            {"workflow_id": "gated", "steps": [
              {"step_id": "review", "step_type": "approval", "action": "request", "parameters": {"message": "Send <b>the</b> newsletter?"}},
              {"step_id": "send", "step_type": "template", "action": "render", "parameters": {"text": "sent ({{review_output.comment}})"}}
            ]}
            """);
        var saved = await _host.InScope<WorkflowSaveResult, WorkflowStore>(s => s.SaveAsync(owner, parsed.Workflow!, default));
        Assert.True(saved.Succeeded, string.Join("\n", saved.Errors));
        var runId = (await _host.Services.GetRequiredService<RunQueue>().EnqueueAsync(owner, "gated", new Dictionary<string, JsonNode?>(), default)).RunId!;
        Assert.Equal(RunStatus.Waiting, await SettledAsync(owner, runId));
        return runId;
    }

    private async Task<RunStatus> SettledAsync(string owner, string runId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var _ in _host.Services.GetRequiredService<RunEvents>().SubscribeAsync(owner, runId, 0, timeout.Token))
        {
        }
        return (await _host.Services.GetRequiredService<RunApprovals>().StatusAsync(owner, runId, default))!.Value;
    }

    [Fact]
    public async Task A_waiting_run_shows_its_request_and_a_plain_form_approves_it_then_the_polling_tells_the_page_to_reload()
    {
        var owner = await _host.CreateUserAsync("ada");
        var runId = await WaitingRunAsync(owner);
        var client = await _host.SignedInAsync("ada");

        var page = await client.GetDocumentAsync($"/Logs/{runId}");
        Assert.Equal("waiting", page.QuerySelector("#run-status")!.TextContent);
        Assert.Equal("Send <b>the</b> newsletter?", page.QuerySelector(".approval-message")!.TextContent);
        Assert.Null(page.QuerySelector(".approval-message b"));
        Assert.Equal(["approve", "reject"], page.QuerySelectorAll("#run-approval button[name=decision]").Select(b => b.GetAttribute("value")));
        Assert.NotNull(page.QuerySelector("#approval-comment"));
        Assert.NotNull(page.QuerySelector("#run-cancel form"));
        // nothing runs while it waits: no live stream
        Assert.Null(page.QuerySelector("#live"));
        var home = await client.GetDocumentAsync("/");
        Assert.Equal("1", home.QuerySelector("#waiting-runs .number")!.TextContent);
        var logs = await client.GetDocumentAsync("/Logs?status=waiting");
        Assert.Contains(runId, logs.QuerySelector("table")!.InnerHtml);

        Assert.Equal(HttpStatusCode.NoContent, (await client.GetAsync($"/Logs/{runId}?handler=WaitState")).StatusCode);

        var answered = await client.PostFormAsync($"/Logs/{runId}?handler=Answer", new() { ["decision"] = "approve", ["comment"] = "ship it" }, $"/Logs/{runId}");
        Assert.Equal(HttpStatusCode.Redirect, answered.StatusCode);
        Assert.Equal($"/Logs/{runId}", answered.Headers.Location!.OriginalString);

        var state = await client.GetAsync($"/Logs/{runId}?handler=WaitState");
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        Assert.Equal("true", state.Headers.GetValues("HX-Refresh").Single());
        Assert.Equal(RunStatus.Succeeded, await SettledAsync(owner, runId));
        var done = await client.GetDocumentAsync($"/Logs/{runId}");
        Assert.Contains("sent (ship it)", done.QuerySelector("#step-send")!.TextContent);
        Assert.Null(done.QuerySelector("#run-approval button"));
    }

    [Fact]
    public async Task Two_approvals_waiting_at_once_each_have_their_own_buttons_and_an_answer_names_its_step()
    {
        var owner = await _host.CreateUserAsync("ada");
        var parsed = WorkflowJson.Parse("""
            {"workflow_id": "two-reviews", "steps": [
              {"step_id": "draft", "step_type": "template", "action": "render", "parameters": {"text": "draft"}},
              {"step_id": "legal", "step_type": "approval", "action": "request", "parameters": {"message": "Legal ok?"}, "depends_on": ["draft"]},
              {"step_id": "brand", "step_type": "approval", "action": "request", "parameters": {"message": "Brand ok?"}, "depends_on": ["draft"]},
              {"step_id": "send", "step_type": "template", "action": "render", "parameters": {"text": "sent"}, "depends_on": ["legal", "brand"]}
            ]}
            """);
        var saved = await _host.InScope<WorkflowSaveResult, WorkflowStore>(s => s.SaveAsync(owner, parsed.Workflow!, default));
        Assert.True(saved.Succeeded, string.Join("\n", saved.Errors));
        var runId = (await _host.Services.GetRequiredService<RunQueue>().EnqueueAsync(owner, "two-reviews", new Dictionary<string, JsonNode?>(), default)).RunId!;
        Assert.Equal(RunStatus.Waiting, await SettledAsync(owner, runId));
        var client = await _host.SignedInAsync("ada");

        var page = await client.GetDocumentAsync($"/Logs/{runId}");
        var forms = page.QuerySelectorAll("#run-approval form.approval-form");
        Assert.Equal(["legal", "brand"], forms.Select(f => f.QuerySelector("input[name=step]")!.GetAttribute("value")));
        Assert.Equal(["Approve legal", "Reject legal", "Approve brand", "Reject brand"],
            page.QuerySelectorAll("#run-approval button[name=decision]").Select(b => b.GetAttribute("aria-label")));
        Assert.NotNull(page.QuerySelector("#approval-comment-brand"));

        var answered = await client.PostFormAsync($"/Logs/{runId}?handler=Answer", new() { ["decision"] = "reject", ["step"] = "brand", ["comment"] = "off brand" }, $"/Logs/{runId}");
        Assert.Equal(HttpStatusCode.Redirect, answered.StatusCode);
        Assert.Equal(RunStatus.Failed, await SettledAsync(owner, runId));
        var details = await _host.InScope<RunDetails?, RunStore>(s => s.GetAsync(owner, runId, default));
        Assert.Equal(StepStatus.Failed, details!.Steps.Single(s => s.StepId == "brand").Status);
        Assert.Contains("rejected by ada: off brand", details.Run.Error);
    }

    [Fact]
    public async Task Answering_twice_shows_why_beside_the_buttons_and_another_users_run_is_not_found()
    {
        var owner = await _host.CreateUserAsync("ada");
        await _host.CreateUserAsync("eve");
        var runId = await WaitingRunAsync(owner);
        var ada = await _host.SignedInAsync("ada");
        var eve = await _host.SignedInAsync("eve");

        var stranger = await eve.PostHtmxAsync($"/Logs/{runId}?handler=Answer", new() { ["decision"] = "approve" }, "/Logs");
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync($"/Logs/{runId}?handler=WaitState")).StatusCode);

        var rejected = await ada.PostHtmxAsync($"/Logs/{runId}?handler=Answer", new() { ["decision"] = "reject" }, $"/Logs/{runId}");
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        Assert.Equal($"/Logs/{runId}", rejected.Headers.GetValues("HX-Redirect").Single());
        Assert.Equal(RunStatus.Failed, await SettledAsync(owner, runId));

        var again = await ada.PostHtmxAsync($"/Logs/{runId}?handler=Answer", new() { ["decision"] = "approve", ["comment"] = "kept" }, "/Logs");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var fragment = await again.Content.ReadAsStringAsync();
        Assert.Contains($"Run &#x27;{runId}&#x27; is not waiting for approval: it has finished (failed).", fragment);
        Assert.DoesNotContain("<textarea", fragment);
    }
}
