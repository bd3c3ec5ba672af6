using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>A workflow-level on_failure starts its handler with the failed run's facts; handlers never start further handlers.</summary>
public class FailureHandlerTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    private static string Failing(string id, string handler) => $$$"""
        {
          "workflow_id": "{{{id}}}",
          "steps": [
            { "step_id": "ok", "step_type": "template", "action": "render", "parameters": { "text": "fine" } },
            { "step_id": "broken", "step_type": "template", "action": "render", "parameters": { "text": "{{data.missing}}" } }
          ],
          "variables": { "data": {}, "message": "" },
          "on_failure": {
            "workflow_id": "{{{handler}}}",
            "variables": { "message": "{{failed_run.workflow_id}} failed at {{failed_run.failed_step}} ({{failed_run.id}}): {{failed_run.error}}" }
          }
        }
        """;

    private const string Alert = """
        {
          "workflow_id": "alert",
          "steps": [ { "step_id": "say", "step_type": "template", "action": "render", "parameters": { "text": "ALERT {{message}}" } } ],
          "variables": { "message": "" }
        }
        """;

    [Fact]
    public async Task A_failed_run_starts_its_handler_with_the_failed_run_id_workflow_step_and_error()
    {
        using var client = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Alert))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Failing("breaks", "alert")))).StatusCode);

        var failed = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "breaks" })).JsonAsync();

        Assert.False(failed["success"]!.GetValue<bool>());
        var failedId = failed["run_id"]!.GetValue<string>();
        var detail = await (await client.GetAsync($"/api/runs/{failedId}")).JsonAsync();
        var started = detail["errors"]!.AsArray().Select(e => e!.GetValue<string>()).Single(e => e.StartsWith("on_failure:"));
        var handlerId = started["on_failure: started workflow 'alert' as run ".Length..];
        var handler = await FinishedAsync(client, handlerId);
        Assert.Equal("succeeded", (string?)handler["status"]);
        Assert.Equal($"on_failure:{failedId}", (string?)handler["origin"]);
        var said = handler["outputs"]!["say"]!.GetValue<string>();
        Assert.StartsWith($"ALERT breaks failed at broken ({failedId}): step 'broken' failed: parameter 'text': ", said);
    }

    [Fact]
    public async Task A_handler_that_fails_does_not_start_another_handler()
    {
        using var client = await app.AdminAsync();
        // ping fails and is handled by pong, which fails and names ping as its handler: that must not loop
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Failing("ping", "pong")))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Failing("pong", "ping")))).StatusCode);

        var failed = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "ping" })).JsonAsync();

        var detail = await (await client.GetAsync($"/api/runs/{failed["run_id"]}")).JsonAsync();
        var started = detail["errors"]!.AsArray().Select(e => e!.GetValue<string>()).Single(e => e.StartsWith("on_failure:"));
        var pong = await FinishedAsync(client, started["on_failure: started workflow 'pong' as run ".Length..]);
        Assert.Equal("failed", (string?)pong["status"]);
        // the handler run is finished, so any handler of its own would already be queued
        Assert.DoesNotContain(pong["errors"]!.AsArray(), e => e!.GetValue<string>().StartsWith("on_failure:"));
        var pings = await (await client.GetAsync("/api/runs?workflow_id=ping")).JsonAsync();
        Assert.Single(pings["runs"]!.AsArray());
    }

    [Fact]
    public async Task A_handler_that_cannot_start_is_named_in_the_failed_runs_errors()
    {
        using var client = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Failing("orphan", "nowhere")))).StatusCode);

        var failed = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "orphan" })).JsonAsync();

        var detail = await (await client.GetAsync($"/api/runs/{failed["run_id"]}")).JsonAsync();
        Assert.Contains(
            "on_failure: workflow 'nowhere' was not started: workflow_id: there is no workflow 'nowhere'; save it first or check the id.",
            detail["errors"]!.AsArray().Select(e => e!.GetValue<string>()));
    }

    /// <summary>Polls the run until it is finished; the bound only turns a hang into a failure.</summary>
    private static async Task<JsonNode> FinishedAsync(HttpClient client, string runId)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var run = await (await client.GetAsync($"/api/runs/{runId}")).JsonAsync();
            if ((string?)run["status"] is "succeeded" or "failed" or "cancelled")
            {
                return run;
            }
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), run.ToJsonString());
            await Task.Delay(20);
        }
    }
}
