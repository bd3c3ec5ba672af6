using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Integrations;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>
/// Event ids over real Kestrel while parallel branches finish out of step order: gap-free and growing, so a client that
/// drops its stream mid-fan-out and reconnects with Last-Event-ID gets every event exactly once, and a replay from the
/// store after the run sends the same ids.
/// </summary>
public sealed class FanOutEventsTests : IDisposable
{
    private sealed class App : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["Outbound:Allow"] = "127.0.0.1",
            // a finished run's events are not kept in memory: asking again afterwards replays the store
            ["Runs:EventRetentionSeconds"] = "0",
        };
    }

    private readonly App _app = new();

    public void Dispose() => _app.Dispose();

    private sealed record Event(long Id, string Type, string? StepId, string? Status);

    [Fact]
    public async Task A_client_reconnecting_mid_fan_out_with_last_event_id_gets_every_event_exactly_once()
    {
        var held = new ConcurrentDictionary<string, TaskCompletionSource>();
        TaskCompletionSource Gate(string branch) => held.GetOrAdd(branch, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await using var stub = await FakeServer.StartAsync(async (request, context) =>
        {
            var branch = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries)[^1];
            await Gate(branch).Task.WaitAsync(context.RequestAborted);
            await FakeServer.Json(context, 200, $$"""{"branch":"{{branch}}"}""");
        });
        using var client = await _app.AdminAsync();
        JsonObject Branch(string id) => new()
        {
            ["step_id"] = id, ["step_type"] = "http", ["action"] = "request",
            ["parameters"] = new JsonObject { ["url"] = $"{stub.Url}/branch/{id}" }, ["depends_on"] = new JsonArray("start"),
        };
        var workflow = new JsonObject
        {
            ["workflow_id"] = "fan_out",
            ["steps"] = new JsonArray(
                new JsonObject { ["step_id"] = "start", ["step_type"] = "template", ["action"] = "render", ["parameters"] = new JsonObject { ["text"] = "go" } },
                Branch("a"), Branch("b"), Branch("c"),
                new JsonObject
                {
                    ["step_id"] = "maybe", ["step_type"] = "template", ["action"] = "render", ["depends_on"] = new JsonArray("start"),
                    ["when"] = "{{start_output}} == 'stop'", ["parameters"] = new JsonObject { ["text"] = "skipped" },
                },
                new JsonObject
                {
                    ["step_id"] = "join", ["step_type"] = "template", ["action"] = "render", ["depends_on"] = new JsonArray("a", "b", "c"),
                    ["parameters"] = new JsonObject { ["text"] = "{{a_output.json.branch}}{{b_output.json.branch}}{{c_output.json.branch}}" },
                }),
        };
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(workflow.ToJsonString()))).StatusCode);
        var queued = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "fan_out", wait = false });
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var runId = (string)(await queued.JsonAsync())["run_id"]!;

        // first stream: until the three branches run and b, the middle one, has finished; then the client drops it
        var first = new List<Event>();
        var releasedB = false;
        await using (var stream = await OpenAsync(client, runId, null))
        {
            await foreach (var item in stream.Events)
            {
                first.Add(item);
                if (!releasedB && first.Count(e => e.Type == "step-started" && e.StepId is "a" or "b" or "c") == 3)
                {
                    releasedB = true;
                    Gate("b").TrySetResult();
                }
                if (item is { Type: "step-finished", StepId: "b" })
                {
                    break;
                }
            }
        }

        // while nobody listens, c finishes (after b, before a: out of step order)
        Gate("c").TrySetResult();
        await UntilAsync(async () => (await (await client.GetAsync($"/api/runs/{runId}")).JsonAsync())["steps"]!.AsArray()
            .Any(s => (string?)s!["step_id"] == "c" && (string?)s["status"] == "succeeded"));

        var second = new List<Event>();
        await using (var stream = await OpenAsync(client, runId, first[^1].Id))
        {
            await foreach (var item in stream.Events)
            {
                second.Add(item);
                if (item is { Type: "step-finished", StepId: "c" })
                {
                    Gate("a").TrySetResult();
                }
            }
        }

        var all = first.Concat(second).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(n => (long)n), all.Select(e => e.Id));
        Assert.Equal(second[0].Id, first[^1].Id + 1);
        foreach (var step in new[] { "start", "a", "b", "c", "join" })
        {
            Assert.Single(all, e => e.Type == "step-started" && e.StepId == step);
            Assert.Single(all, e => e.Type == "step-finished" && e.StepId == step);
        }
        Assert.Equal(["step-finished", "step-finished", "step-started", "step-finished", "run-finished"], second.Select(e => e.Type));
        Assert.Equal(["c", "a", "join", "join"], second.Take(4).Select(e => e.StepId));
        Assert.Equal("succeeded", second[^1].Status);

        Assert.Equal("skipped", all.Single(e => e.StepId == "maybe" && e.Type == "step-finished").Status);

        // the run has finished and its events are gone from memory: the store gives the same ids
        await using (var stream = await OpenAsync(client, runId, first[^1].Id))
        {
            var replayed = await stream.Events.ToListAsync();
            Assert.Equal(second, replayed);
        }
        await using (var stream = await OpenAsync(client, runId, null))
        {
            Assert.Equal(all, await stream.Events.ToListAsync());
        }
    }

    private sealed class Stream(HttpResponseMessage response, IAsyncEnumerable<Event> events) : IAsyncDisposable
    {
        public IAsyncEnumerable<Event> Events => events;

        public ValueTask DisposeAsync()
        {
            response.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static async Task<Stream> OpenAsync(HttpClient client, string runId, long? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/events");
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStreamAsync();
        return new Stream(response, SseParser.Create(body).EnumerateAsync().Select(item =>
            new Event(long.Parse(item.EventId!, System.Globalization.CultureInfo.InvariantCulture), item.EventType, (string?)JsonNode.Parse(item.Data)!["step_id"], (string?)JsonNode.Parse(item.Data)!["status"])));
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
