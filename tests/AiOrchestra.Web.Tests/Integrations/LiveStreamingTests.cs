using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>An LLM's tokens reach the API's event stream and the dashboard's live view while the step is still running.</summary>
public sealed class LiveStreamingTests
{
    private const string Head = "\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini\"";

    private static async Task ChunkAsync(HttpContext context, string delta, string? finishReason = null)
    {
        var finish = finishReason is null ? "null" : $"\"{finishReason}\"";
        await context.Response.WriteAsync($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n");
        await context.Response.Body.FlushAsync();
    }

    private static string Content(string text) => $"{{\"content\":{JsonValue.Create(text).ToJsonString()}}}";

    /// <summary>Streams "Hello", then holds the answer until <paramref name="gate"/> opens, then ", world".</summary>
    private static async Task GatedStreamAsync(HttpContext context, Task gate)
    {
        context.Response.ContentType = "text/event-stream";
        await ChunkAsync(context, "{\"role\":\"assistant\",\"content\":\"\"}");
        await ChunkAsync(context, Content("Hello"));
        await gate;
        await ChunkAsync(context, Content(", "));
        await ChunkAsync(context, Content("world"));
        await ChunkAsync(context, "{}", "stop");
        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    [Fact]
    public async Task Streamed_tokens_arrive_on_the_api_events_and_the_dashboards_live_view_before_the_step_finishes()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fakes = await FakeServer.StartAsync((_, context) => GatedStreamAsync(context, gate.Task));
        using var app = new IntegrationApp(fakes.Url);
        using var api = await app.AdminAsync();
        using var browser = await app.BrowserAsync();
        try
        {
            var queued = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "simple_ai_completion", wait = false });
            Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
            var runId = (string)(await queued.JsonAsync())["run_id"]!;

            await using var apiEvents = IntegrationApp.EventsAsync(api, $"/api/runs/{runId}/events").GetAsyncEnumerator();
            await using var liveView = IntegrationApp.EventsAsync(browser, $"/runs/{runId}/live").GetAsyncEnumerator();

            // the answer is held back after "Hello": whatever arrives now arrived while the step was running
            var apiSoFar = await ReadUntilAsync(apiEvents, e => e.EventType == "step-delta");
            var delta = JsonNode.Parse(apiSoFar[^1].Data)!;
            Assert.Equal("complete", (string?)delta["step_id"]);
            Assert.Equal("Hello", (string?)delta["delta"]);
            Assert.DoesNotContain(apiSoFar, e => e.EventType is "step-finished" or "run-finished");

            var liveSoFar = await ReadUntilAsync(liveView, e => e.Data.Contains("beforeend:", StringComparison.Ordinal));
            Assert.Contains("hx-swap-oob=\"beforeend:#step-complete-delta\">Hello</span>", liveSoFar[^1].Data);
            Assert.DoesNotContain(liveSoFar, e => e.EventType == "done" || e.Data.Contains("data-status=\"succeeded\"", StringComparison.Ordinal));
            // the run page a browser opens now has the element the tokens are appended to, and listens to the live stream
            var page = await browser.GetStringAsync($"/Logs/{runId}");
            Assert.Contains("id=\"step-complete-delta\"", page);
            Assert.Contains($"hx-sse:connect=\"/runs/{runId}/live\"", page);

            gate.SetResult();

            var apiRest = await ReadUntilAsync(apiEvents, e => e.EventType == "run-finished");
            Assert.Equal([", ", "world"], apiRest.Where(e => e.EventType == "step-delta").Select(e => (string?)JsonNode.Parse(e.Data)!["delta"]));
            var finished = JsonNode.Parse(apiRest.Single(e => e.EventType == "step-finished").Data)!;
            Assert.Equal("Hello, world", (string?)finished["output"]);
            Assert.Equal("succeeded", (string?)JsonNode.Parse(apiRest[^1].Data)!["status"]);

            var liveRest = await ReadUntilAsync(liveView, e => e.EventType == "done");
            Assert.Contains(liveRest, e => e.Data.EndsWith(">world</span>", StringComparison.Ordinal));
            Assert.Contains(liveRest, e => e.Data.Contains("data-status=\"succeeded\"", StringComparison.Ordinal));
        }
        finally
        {
            gate.TrySetResult();
        }
    }

    /// <summary>Reads events up to and including the first that matches; fails if the stream ends first.</summary>
    private static async Task<List<SseItem<string>>> ReadUntilAsync(IAsyncEnumerator<SseItem<string>> events, Func<SseItem<string>, bool> stop)
    {
        var read = new List<SseItem<string>>();
        while (await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)))
        {
            read.Add(events.Current);
            if (stop(events.Current))
            {
                return read;
            }
        }
        Assert.Fail("the stream ended early: " + string.Join(" | ", read.Select(e => $"{e.EventType}: {e.Data}")));
        return read;
    }
}
