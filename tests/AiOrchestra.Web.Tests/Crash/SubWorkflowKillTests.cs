using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Integrations;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Web.Tests.Crash;

/// <summary>
/// The app is killed with SIGKILL while parents wait for their child runs: each child has finished its first step and
/// is held in its second. After a restart every parent finds the child it had started (no second child), the child goes
/// on from its unfinished step (its first step is not called again), and the parent finishes with the child's outputs.
/// </summary>
[Trait("Provider", "sqlite")] // processes on an SQLite file: once, in the SQLite pass
public sealed class SubWorkflowKillTests : IDisposable
{
    private const int RunCount = 6;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(60);

    private readonly string _folder = AppProcess.FolderWithDatabase("aiorchestra-subkill-");

    private string DatabaseFile => Path.Combine(_folder, "crash.db");

    [Fact]
    public async Task A_process_killed_inside_a_child_run_resumes_the_same_child_without_calling_its_finished_steps_again()
    {
        var calls = new ConcurrentDictionary<string, int>();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stub = await FakeServer.StartAsync(async (request, context) =>
        {
            var parts = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries); // sub/{token}/{call}
            calls.AddOrUpdate($"{parts[1]}/{parts[2]}", 1, (_, n) => n + 1);
            if (parts[2] == "second")
            {
                await held.Task.WaitAsync(context.RequestAborted);
            }
            await FakeServer.Json(context, 200, $$"""{"call":"{{parts[2]}}"}""");
        });

        var settings = new Dictionary<string, string> { ["Runs:Concurrency"] = "64", ["Outbound:Allow"] = "127.0.0.1" };
        var runs = new Dictionary<string, string>(); // parent run id -> token
        try
        {
            using (var first = await AppProcess.StartAsync(_folder, DatabaseFile, settings, StartTimeout))
            {
                try
                {
                    using var client = await first.LoginAsync();
                    await CreateAsync(client, Child(stub.Url));
                    await CreateAsync(client, Parent(stub.Url));
                    for (var i = 0; i < RunCount; i++)
                    {
                        var token = $"run{i}";
                        var response = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "sub_parent", variables = new { token }, wait = false });
                        var body = await response.Content.ReadAsStringAsync();
                        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
                        runs[JsonNode.Parse(body)!["run_id"]!.GetValue<string>()] = token;
                    }
                    await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM run_steps s JOIN runs r ON r.key = s.run_key WHERE r.parent_run_id IS NOT NULL AND s.step_id = 'first' AND s.status = 'succeeded'") == RunCount,
                        "every child's first step recorded", first);
                }
                finally
                {
                    first.Kill();
                }
            }
            Assert.Equal(RunCount, await CountAsync("SELECT count(*) FROM runs WHERE parent_run_id IS NOT NULL AND status = 'running'"));

            held.TrySetResult();
            using (var second = await AppProcess.StartAsync(_folder, DatabaseFile, settings, StartTimeout))
            {
                await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM runs WHERE status IN ('queued', 'running')") == 0, "every run finished after the restart", second);
                using var client = await second.LoginAsync();
                foreach (var (runId, token) in runs)
                {
                    var run = await (await client.GetAsync($"/api/runs/{runId}")).JsonAsync();
                    Assert.True((string?)run["status"] == "succeeded", run.ToJsonString());
                    Assert.Equal("second", (string?)run["outputs"]!["sub"]!["second"]!["json"]!["call"]);
                    var child = Assert.Single(run["child_runs"]!.AsArray())!;
                    Assert.Equal("succeeded", (string?)child["status"]);
                }
            }
        }
        finally
        {
            held.TrySetResult();
        }

        Assert.Equal(RunCount, await CountAsync("SELECT count(*) FROM runs WHERE parent_run_id IS NOT NULL"));
        Assert.Equal("ok", await IntegrityAsync());
        foreach (var token in runs.Values)
        {
            Assert.Equal(1, calls.GetValueOrDefault($"{token}/before"));
            Assert.Equal(1, calls.GetValueOrDefault($"{token}/first"));
            Assert.InRange(calls.GetValueOrDefault($"{token}/second"), 1, 2);
        }
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

    private static JsonObject Http(string id, string url) => new()
    {
        ["step_id"] = id,
        ["step_type"] = "http",
        ["action"] = "request",
        ["parameters"] = new JsonObject { ["url"] = url },
    };

    private static string Child(string stubUrl) => new JsonObject
    {
        ["workflow_id"] = "sub_child",
        ["steps"] = new JsonArray(Http("first", $"{stubUrl}/sub/{{{{token}}}}/first"), Http("second", $"{stubUrl}/sub/{{{{token}}}}/second")),
        ["variables"] = new JsonObject { ["token"] = "" },
    }.ToJsonString();

    private static string Parent(string stubUrl) => new JsonObject
    {
        ["workflow_id"] = "sub_parent",
        ["steps"] = new JsonArray(
            Http("before", $"{stubUrl}/sub/{{{{token}}}}/before"),
            new JsonObject
            {
                ["step_id"] = "sub",
                ["step_type"] = "workflow",
                ["action"] = "run",
                ["parameters"] = new JsonObject { ["workflow_id"] = "sub_child", ["variables"] = new JsonObject { ["token"] = "{{token}}" } },
            }),
        ["variables"] = new JsonObject { ["token"] = "" },
    }.ToJsonString();

    private static async Task CreateAsync(HttpClient client, string json)
    {
        var response = await client.PostAsync("/api/workflows", ApiFactory.Json(json));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<string> IntegrityAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)(await command.ExecuteScalarAsync())!;
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
