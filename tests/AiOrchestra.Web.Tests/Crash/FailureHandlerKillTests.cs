using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Web.Tests.Crash;

/// <summary>
/// A run fails and the process is killed before the run's end is recorded: after the restart the run is recovered,
/// fails again, and its on_failure handler has still started exactly once. The kill's moment is made certain with an
/// SQLite trigger that refuses the failed run's final write, so the first process dies with the run still running.
/// </summary>
[Trait("Provider", "sqlite")] // processes on an SQLite file: once, in the SQLite pass
public sealed class FailureHandlerKillTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(60);
    private const string Refusal = "the test holds this run's end";

    private readonly string _folder = AppProcess.FolderWithDatabase("aiorchestra-fhkill-");

    private string DatabaseFile => Path.Combine(_folder, "crash.db");

    private const string Failing = """
        {
          "workflow_id": "breaks",
          "steps": [ { "step_id": "broken", "step_type": "template", "action": "render", "parameters": { "text": "{{data.missing}}" } } ],
          "variables": { "data": {} },
          "on_failure": { "workflow_id": "alert", "variables": { "message": "{{failed_run.id}}" } }
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
    public async Task A_failed_run_recovered_after_a_kill_before_its_end_was_recorded_starts_its_handler_once()
    {
        var settings = new Dictionary<string, string>();
        string failedId;
        using (var first = await AppProcess.StartAsync(_folder, DatabaseFile, settings, StartTimeout))
        {
            try
            {
                using var client = await first.LoginAsync();
                Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Alert))).StatusCode);
                Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Failing))).StatusCode);
                await ExecuteSqlAsync($"""
                    CREATE TRIGGER hold_failed_end BEFORE UPDATE OF status ON runs WHEN NEW.status = 'failed'
                    BEGIN SELECT RAISE(ABORT, '{Refusal.Replace("'", "''", StringComparison.Ordinal)}'); END
                    """);

                var response = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "breaks", wait = false });
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
                failedId = JsonNode.Parse(body)!["run_id"]!.GetValue<string>();

                // the step failed and the run's end was tried and refused: the run is still running when the process dies
                await WaitUntilAsync(() => Task.FromResult(first.Output.Contains(Refusal, StringComparison.Ordinal)), "the failed run's end refused", first);
            }
            finally
            {
                first.Kill();
            }
        }
        Assert.Equal("running", await ScalarAsync($"SELECT status FROM runs WHERE id = '{failedId}'"));
        await ExecuteSqlAsync("DROP TRIGGER hold_failed_end");

        using (var second = await AppProcess.StartAsync(_folder, DatabaseFile, settings, StartTimeout))
        {
            await WaitUntilAsync(async () => (long)(await ScalarAsync("SELECT count(*) FROM runs WHERE status IN ('queued', 'running')"))! == 0,
                "the recovered run and its handler finished", second);
            using var client = await second.LoginAsync();
            var failed = await (await client.GetAsync($"/api/runs/{failedId}")).JsonAsync();
            Assert.Equal("failed", (string?)failed["status"]);

            var handlers = await ScalarsAsync($"SELECT id FROM runs WHERE origin = 'on_failure:{failedId}'");
            var handlerId = Assert.Single(handlers);
            Assert.Contains($"on_failure: started workflow 'alert' as run {handlerId}", failed["errors"]!.AsArray().Select(e => (string?)e));
            var handler = await (await client.GetAsync($"/api/runs/{handlerId}")).JsonAsync();
            Assert.Equal(("succeeded", $"ALERT {failedId}"), ((string?)handler["status"], (string?)handler["outputs"]!["say"]));
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

    private async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Pooling=False;Default Timeout=30");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<object?> ScalarAsync(string sql) => (await ScalarsAsync(sql)).FirstOrDefault();

    private async Task<List<object?>> ScalarsAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var values = new List<object?>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetValue(0));
        }
        return values;
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
