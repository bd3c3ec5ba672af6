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
/// DESIGN §10: the app, a separate process, is killed with SIGKILL while 200 runs of a 3-step http workflow are in
/// flight. After a restart on the same database every run finishes, no step the store had recorded as finished is
/// called again, and the file passes <c>PRAGMA integrity_check</c>.
/// </summary>
[Trait("Provider", "sqlite")] // its SQLite file, or processes on SQLite: once, in the SQLite pass
public sealed class KillTests(ITestOutputHelper output) : IDisposable
{
    private const int RunCount = 200;
    private static readonly string[] StepIds = ["a", "b", "c"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(60);

    private readonly string _folder = AppProcess.FolderWithDatabase("aiorchestra-kill-");

    private string DatabaseFile => Path.Combine(_folder, "crash.db");

    [Fact]
    public async Task A_process_killed_with_200_runs_in_flight_finishes_every_run_after_restart_without_calling_a_finished_step_again()
    {
        // the stub counts each call by (run token, step) as it arrives; it answers only once every run is queued,
        // then slowly, so that at the kill many runs are mid-step
        var calls = new ConcurrentDictionary<string, int>();
        var answered = new int[StepIds.Length];
        var allQueued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stub = await FakeServer.StartAsync(async (request, context) =>
        {
            var parts = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries); // crash/{token}/{step}
            calls.AddOrUpdate($"{parts[1]}/{parts[2]}", 1, (_, n) => n + 1);
            await allQueued.Task.WaitAsync(context.RequestAborted);
            await Task.Delay(Random.Shared.Next(200, 500), context.RequestAborted);
            await FakeServer.Json(context, 200, """{"ok":true}""");
            Interlocked.Increment(ref answered[Array.IndexOf(StepIds, parts[2])]);
        });

        // the http steps call the local stub: loopback is refused unless allow-listed
        var settings = new Dictionary<string, string> { ["Runs:Concurrency"] = RunCount.ToString(), ["Outbound:Allow"] = "127.0.0.1" };
        var runs = new Dictionary<string, string>(); // run id -> token
        HashSet<(string RunId, string StepId)> finishedBeforeKill;
        int inFlightAtKill;
        try
        {
            using (var first = await AppProcess.StartAsync(_folder, DatabaseFile, settings, StartTimeout))
            {
                try
                {
                    using var client = await first.LoginAsync();
                    var created = await client.PostAsync("/api/workflows", ApiFactory.Json(Workflow(stub.Url)));
                    Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());

                    var queued = new ConcurrentDictionary<string, string>();
                    await Parallel.ForEachAsync(Enumerable.Range(0, RunCount), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
                    {
                        var token = $"run{i:D3}";
                        var response = await client.PostAsJsonAsync(
                            "/api/workflows/execute", new { workflow_id = "crash_test", variables = new { token }, wait = false }, ct);
                        var body = await response.Content.ReadAsStringAsync(ct);
                        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
                        queued[JsonNode.Parse(body)!["run_id"]!.GetValue<string>()] = token;
                    });
                    foreach (var (runId, token) in queued)
                    {
                        runs[runId] = token;
                    }
                    allQueued.TrySetResult();

                    // a good share past their first step, none expected to be done yet
                    await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref answered[1]) >= RunCount / 4), "a quarter of the runs had step b answered", first);
                }
                finally
                {
                    first.Kill();
                }
            }

            var before = await ReadStoreAsync();
            Assert.Equal("ok", before.Integrity);
            Assert.Equal(RunCount, before.Runs.Count);
            finishedBeforeKill = before.SucceededSteps;
            // the kill must have come mid-flight for the test to mean anything
            Assert.NotEmpty(finishedBeforeKill);
            inFlightAtKill = before.Runs.Values.Count(status => status is "queued" or "running");
            Assert.True(inFlightAtKill >= RunCount / 2, $"only {inFlightAtKill} runs were in flight at the kill");

            using (var second = await AppProcess.StartAsync(_folder, DatabaseFile, settings, StartTimeout))
            {
                await WaitUntilAsync(async () => await CountUnfinishedRunsAsync() == 0, "every run finished after the restart", second);

                using var client = await second.LoginAsync();
                var list = await (await client.GetAsync("/api/runs?workflow_id=crash_test&limit=500")).JsonAsync();
                var statuses = list["runs"]!.AsArray().ToDictionary(r => r!["run_id"]!.GetValue<string>(), r => r!["status"]!.GetValue<string>());
                Assert.Equal(runs.Keys.Order(), statuses.Keys.Order());
                Assert.All(statuses, run => Assert.True(run.Value == "succeeded", $"run {run.Key} ended {run.Value}"));

                var after = await ReadStoreAsync();
                Assert.Equal("ok", after.Integrity);
                Assert.Equal(RunCount * StepIds.Length, after.SucceededSteps.Count);
            }
        }
        finally
        {
            allQueued.TrySetResult();
        }

        output.WriteLine(
            $"at the kill: {inFlightAtKill} runs in flight, {finishedBeforeKill.Count} steps recorded finished; after the restart: "
            + $"{calls.Count(c => c.Value == 2)} steps called twice (in flight at the kill), {calls.Count(c => c.Value > 2)} more often");
        var twice = new List<string>();
        foreach (var (runId, token) in runs)
        {
            foreach (var step in StepIds)
            {
                var count = calls.GetValueOrDefault($"{token}/{step}");
                var finished = finishedBeforeKill.Contains((runId, step));
                // a step recorded as finished is never called again; the one in flight at the kill may be called once more
                if (count < 1 || count > (finished ? 1 : 2))
                {
                    twice.Add($"run {runId} ({token}) step {step}: {count} calls, {(finished ? "finished" : "not finished")} before the kill");
                }
            }
        }
        Assert.True(twice.Count == 0, string.Join("\n", twice));
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
        var steps = new JsonArray();
        foreach (var step in StepIds)
        {
            steps.Add(new JsonObject
            {
                ["step_id"] = step,
                ["step_type"] = "http",
                ["action"] = "request",
                ["parameters"] = new JsonObject { ["url"] = $"{stubUrl}/crash/{{{{token}}}}/{step}" },
            });
        }
        return new JsonObject
        {
            ["workflow_id"] = "crash_test",
            ["name"] = "Crash test",
            ["steps"] = steps,
            ["variables"] = new JsonObject { ["token"] = "" },
        }.ToJsonString();
    }

    private sealed record StoreState(string Integrity, Dictionary<string, string> Runs, HashSet<(string RunId, string StepId)> SucceededSteps);

    /// <summary>The database file as it is now, read only, beside (or after) the app.</summary>
    private async Task<StoreState> ReadStoreAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();

        command.CommandText = "PRAGMA integrity_check";
        var integrity = (string)(await command.ExecuteScalarAsync())!;

        var runs = new Dictionary<string, string>();
        command.CommandText = "SELECT id, status FROM runs WHERE workflow_id = 'crash_test'";
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                runs[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var steps = new HashSet<(string, string)>();
        command.CommandText = "SELECT r.id, s.step_id FROM run_steps s JOIN runs r ON r.key = s.run_key WHERE s.status = 'succeeded'";
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                steps.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        return new StoreState(integrity, runs, steps);
    }

    private async Task<long> CountUnfinishedRunsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM runs WHERE status IN ('queued', 'running')";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; a generous bound, only so a hang fails instead of stalling.</summary>
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
