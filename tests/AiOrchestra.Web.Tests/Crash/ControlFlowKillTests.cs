using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Integrations;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace AiOrchestra.Web.Tests.Crash;

/// <summary>
/// The app is killed with SIGKILL while runs are inside a parallel fan-out and inside a loop: three branches start at
/// once (one answers at once, one is held until the kill, one loops over 12 items two at a time, items 5 and on held
/// until the kill), a fourth step joins them. After a restart every run finishes; no branch and no item recorded as finished before the kill is called again.
/// </summary>
[Trait("Provider", "sqlite")] // its SQLite file, or processes on SQLite: once, in the SQLite pass
public sealed class ControlFlowKillTests(ITestOutputHelper output) : IDisposable
{
    private const int RunCount = 20;
    private const int ItemCount = 12;

    /// <summary>Items from this one on are held until the kill, so every loop is stopped mid-way.</summary>
    private const int HeldFrom = 5;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(60);

    private readonly string _folder = AppProcess.FolderWithDatabase("aiorchestra-cfkill-");

    private string DatabaseFile => Path.Combine(_folder, "crash.db");

    [Fact]
    public async Task A_process_killed_inside_loops_and_fan_outs_resumes_without_calling_a_finished_item_or_branch_again()
    {
        var calls = new ConcurrentDictionary<string, int>();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stub = await FakeServer.StartAsync(async (request, context) =>
        {
            var parts = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries); // flow/{token}/{call}
            calls.AddOrUpdate($"{parts[1]}/{parts[2]}", 1, (_, n) => n + 1);
            if (parts[2] == "held" || (parts[2].StartsWith("item", StringComparison.Ordinal) && int.Parse(parts[2][4..]) >= HeldFrom))
            {
                await held.Task.WaitAsync(context.RequestAborted);
            }
            await FakeServer.Json(context, 200, $$"""{"call":"{{parts[2]}}"}""");
        });

        var settings = new Dictionary<string, string> { ["Runs:Concurrency"] = "64", ["Outbound:Allow"] = "127.0.0.1" };
        var runs = new Dictionary<string, string>(); // run id -> token
        StoreState before;
        try
        {
            using (var first = await AppProcess.StartAsync(_folder, DatabaseFile, settings, StartTimeout))
            {
                try
                {
                    using var client = await first.LoginAsync();
                    var created = await client.PostAsync("/api/workflows", ApiFactory.Json(Workflow(stub.Url)));
                    Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
                    for (var i = 0; i < RunCount; i++)
                    {
                        var token = $"run{i:D2}";
                        var response = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "flow_crash", variables = new { token }, wait = false });
                        var body = await response.Content.ReadAsStringAsync();
                        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
                        runs[JsonNode.Parse(body)!["run_id"]!.GetValue<string>()] = token;
                    }

                    // every fast branch and the items before the held ones recorded: the loops are mid-way, the held branches in flight
                    await WaitUntilAsync(
                        async () => await ReadStoreAsync() is var store
                            && store.FinishedSteps.Count(s => s.StepId == "fast") == RunCount && store.FinishedItems.Count == RunCount * HeldFrom,
                        "every fast branch and the first items recorded", first);
                }
                finally
                {
                    first.Kill();
                }
            }

            before = await ReadStoreAsync();
            Assert.Equal("ok", before.Integrity);
            Assert.Equal(RunCount * HeldFrom, before.FinishedItems.Count);
            Assert.Equal(RunCount, before.FinishedSteps.Count(s => s.StepId == "fast"));
            Assert.DoesNotContain(before.FinishedSteps, s => s.StepId is "held" or "join");

            held.TrySetResult();
            using (var second = await AppProcess.StartAsync(_folder, DatabaseFile, settings, StartTimeout))
            {
                await WaitUntilAsync(async () => await CountUnfinishedRunsAsync() == 0, "every run finished after the restart", second);
                using var client = await second.LoginAsync();
                foreach (var (runId, token) in runs)
                {
                    var run = await (await client.GetAsync($"/api/runs/{runId}")).JsonAsync();
                    Assert.True((string?)run["status"] == "succeeded", run.ToJsonString());
                    var loop = run["outputs"]!["loop"]!.AsArray();
                    Assert.Equal(Enumerable.Range(0, ItemCount).Select(i => $"item{i}"), loop.Select(o => (string?)o!["json"]!["call"]));
                }
                var after = await ReadStoreAsync();
                Assert.Equal("ok", after.Integrity);
                Assert.Equal(RunCount * ItemCount, after.FinishedItems.Count);
            }
        }
        finally
        {
            held.TrySetResult();
        }

        output.WriteLine($"at the kill: {before.FinishedItems.Count} of {RunCount * ItemCount} items recorded; items called twice: {calls.Count(c => c.Key.Contains("/item") && c.Value == 2)}");
        var wrong = new List<string>();
        foreach (var (runId, token) in runs)
        {
            Check("fast", before.FinishedSteps.Contains((runId, "fast")), mustBeFinished: true);
            Check("held", finished: false, mustBeFinished: false);
            Check("join", finished: false, mustBeFinished: false, exactlyOnce: true);
            for (var i = 0; i < ItemCount; i++)
            {
                Check($"item{i}", before.FinishedItems.Contains((runId, i)), mustBeFinished: false);
            }

            void Check(string call, bool finished, bool mustBeFinished, bool exactlyOnce = false)
            {
                var count = calls.GetValueOrDefault($"{token}/{call}");
                if ((mustBeFinished && !finished) || count < 1 || count > (finished || exactlyOnce ? 1 : 2))
                {
                    wrong.Add($"run {runId} ({token}) {call}: {count} calls, {(finished ? "finished" : "not finished")} before the kill");
                }
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open on some platforms; the temp folder is cleaned by the system
        }
    }

    private static string Workflow(string stubUrl)
    {
        JsonObject Http(string id, string call, JsonArray dependsOn) => new()
        {
            ["step_id"] = id,
            ["step_type"] = "http",
            ["action"] = "request",
            ["parameters"] = new JsonObject { ["url"] = $"{stubUrl}/flow/{{{{token}}}}/{call}" },
            ["depends_on"] = dependsOn,
        };
        var loop = Http("loop", "item{{item}}", []);
        loop["for_each"] = "{{items}}";
        loop["concurrency"] = 2;
        return new JsonObject
        {
            ["workflow_id"] = "flow_crash",
            ["name"] = "Crash test of loops and fan-outs",
            ["steps"] = new JsonArray(Http("fast", "fast", []), Http("held", "held", []), loop, Http("join", "join", ["fast", "held", "loop"])),
            ["variables"] = new JsonObject
            {
                ["token"] = "",
                ["items"] = new JsonArray(Enumerable.Range(0, ItemCount).Select(i => (JsonNode?)i).ToArray()),
            },
        }.ToJsonString();
    }

    private sealed record StoreState(string Integrity, HashSet<(string RunId, string StepId)> FinishedSteps, HashSet<(string RunId, int Item)> FinishedItems);

    private async Task<StoreState> ReadStoreAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        var integrity = (string)(await command.ExecuteScalarAsync())!;

        var steps = new HashSet<(string, string)>();
        command.CommandText = "SELECT r.id, s.step_id FROM run_steps s JOIN runs r ON r.key = s.run_key WHERE s.status = 'succeeded'";
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                steps.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        var items = new HashSet<(string, int)>();
        command.CommandText = "SELECT run_id, item_index FROM run_step_items WHERE status = 'succeeded'";
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                items.Add((reader.GetString(0), reader.GetInt32(1)));
            }
        }
        return new StoreState(integrity, steps, items);
    }

    private async Task<long> CountUnfinishedRunsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM runs WHERE status IN ('queued', 'running')";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, AppProcess app)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < PhaseTimeout, $"not within {PhaseTimeout.TotalSeconds} s: {what}\n{app.Output}");
            await Task.Delay(25);
        }
    }
}
