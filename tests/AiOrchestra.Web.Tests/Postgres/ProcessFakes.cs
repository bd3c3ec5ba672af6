using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Integrations;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// The outside world of the multi-process tests, in the test's process: <c>/count/{step}?n=…</c> answers at once,
/// <c>/hold/{step}?n=…</c> when <see cref="Open"/> is called, <c>/big/{step}?n=…</c> at once with <see cref="BigText"/>
/// (an output far over NOTIFY's 8000-byte payload limit), <c>/v1/chat/completions</c> streams an LLM's tokens
/// ("alpha", then "beta" once opened), <c>/wait/{step}?n=…</c> when <see cref="Release"/> is called for the step. Every call is counted by path and query, whichever process made it.
/// </summary>
public sealed class ProcessFakes : IAsyncDisposable
{
    private const string Head = "\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini\"";

    /// <summary>7 KB of UTF-8 in characters of two, three and four bytes, over 40 KB as escaped JSON in an output and its body.</summary>
    public static readonly string BigText = string.Concat(Enumerable.Repeat("é€😀", 800));

    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private TaskCompletionSource _gate = NewGate();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _released = new(StringComparer.Ordinal);
    private FakeServer _server = null!;

    public string Url => _server.Url;

    public static async Task<ProcessFakes> StartAsync()
    {
        var fakes = new ProcessFakes();
        fakes._server = await FakeServer.StartAsync(fakes.RespondAsync);
        return fakes;
    }

    /// <summary>How often <paramref name="pathAndQuery"/> was called (e.g. <c>/count/one?n=3</c>).</summary>
    public int Calls(string pathAndQuery) => _calls.GetValueOrDefault(pathAndQuery);

    /// <summary>How many calls, of any query, reached <paramref name="path"/> so far.</summary>
    public int CallsTo(string path) => _calls.Where(c => c.Key.StartsWith(path + "?", StringComparison.Ordinal) || c.Key == path).Sum(c => c.Value);

    /// <summary>The paths and queries called, for a failing assertion's message.</summary>
    public string Summary => string.Join(", ", _calls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}×{c.Value}"));

    /// <summary>Lets held calls and the held part of streams go on; later calls are not held.</summary>
    public void Open() => _gate.TrySetResult();

    /// <summary>Lets the calls to <c>/wait/{step}</c> go on, those held and those to come.</summary>
    public void Release(string step) => _released.GetOrAdd(step, _ => NewGate()).TrySetResult();

    /// <summary>Holds calls again (for the next test).</summary>
    public void Close() => _gate = NewGate();

    private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RespondAsync(RecordedRequest request, HttpContext context)
    {
        _calls.AddOrUpdate(request.PathAndQuery, 1, (_, n) => n + 1);
        var gate = _gate.Task;
        if (request.Path.StartsWith("/hold/", StringComparison.Ordinal))
        {
            await gate.WaitAsync(context.RequestAborted);
        }
        if (request.Path.StartsWith("/wait/", StringComparison.Ordinal))
        {
            await _released.GetOrAdd(request.Path["/wait/".Length..], _ => NewGate()).Task.WaitAsync(context.RequestAborted);
        }
        if (request.Path == "/v1/chat/completions")
        {
            context.Response.ContentType = "text/event-stream";
            await ChunkAsync(context, "{\"role\":\"assistant\",\"content\":\"\"}");
            await ChunkAsync(context, Content("alpha"));
            await gate.WaitAsync(context.RequestAborted);
            await ChunkAsync(context, Content(" beta"));
            await ChunkAsync(context, "{}", "stop");
            await context.Response.WriteAsync("data: [DONE]\n\n");
            return;
        }
        if (request.Path.StartsWith("/big/", StringComparison.Ordinal))
        {
            await FakeServer.Json(context, 200, new JsonObject { ["text"] = BigText }.ToJsonString());
            return;
        }
        await FakeServer.Json(context, 200, $$"""{"path":{{JsonValue.Create(request.PathAndQuery).ToJsonString()}}}""");
    }

    private static async Task ChunkAsync(HttpContext context, string delta, string? finishReason = null)
    {
        var finish = finishReason is null ? "null" : $"\"{finishReason}\"";
        await context.Response.WriteAsync($"data: {{{Head},\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n");
        await context.Response.Body.FlushAsync();
    }

    private static string Content(string text) => $"{{\"content\":{JsonValue.Create(text).ToJsonString()}}}";

    public ValueTask DisposeAsync()
    {
        Open();
        foreach (var released in _released.Values)
        {
            released.TrySetResult();
        }
        return _server.DisposeAsync();
    }

    /// <summary>An http step that calls <c>{fakes}/{kind}/{stepId}?n={{n}}</c>.</summary>
    public object HttpStep(string stepId, string kind) => new
    {
        step_id = stepId, step_type = "http", action = "request",
        parameters = new { method = "GET", url = $"{Url}/{kind}/{stepId}?n={{{{n}}}}" },
    };

    /// <summary>Saves a workflow through the API of one process (all of them read it from the database).</summary>
    public static async Task SaveAsync(HttpClient api, object workflow)
    {
        using var response = await api.PostAsJsonAsync("/api/workflows", workflow);
        Assert.True(response.IsSuccessStatusCode, $"saving the workflow: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Queues a run without waiting for it; its id.</summary>
    public static async Task<string> QueueAsync(HttpClient api, string workflowId, object variables)
    {
        using var response = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = workflowId, variables, wait = false });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"queueing a run: {(int)response.StatusCode} {body}");
        return (string)JsonNode.Parse(body)!["run_id"]!;
    }

    /// <summary>The run's status as one process's API reports it.</summary>
    public static async Task<string> StatusAsync(HttpClient api, string runId) =>
        (string)(await api.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}"))!["status"]!;

    /// <summary>Waits (at most <paramref name="limit"/>) until every run has finished; their statuses.</summary>
    public static async Task<Dictionary<string, string>> WaitForFinishAsync(HttpClient api, IEnumerable<string> runIds, TimeSpan limit)
    {
        var statuses = runIds.ToDictionary(id => id, _ => "queued");
        using var timeout = new CancellationTokenSource(limit);
        while (true)
        {
            foreach (var runId in statuses.Keys.ToList())
            {
                if (statuses[runId] is "queued" or "running" or "waiting")
                {
                    statuses[runId] = await StatusAsync(api, runId);
                }
            }
            if (statuses.Values.All(s => s is not ("queued" or "running" or "waiting")))
            {
                return statuses;
            }
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"runs still not finished after {limit}: {string.Join(", ", statuses.Where(s => s.Value is "queued" or "running").Select(s => $"{s.Key} {s.Value}"))}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>Waits (at most <paramref name="limit"/>) until <paramref name="done"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> done, TimeSpan limit, Func<string> describe)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (!await done())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"not reached within {limit}: {describe()}");
            }
            await Task.Delay(100);
        }
    }
}
