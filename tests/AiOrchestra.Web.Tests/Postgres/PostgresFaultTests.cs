using System.Net;
using System.Net.Sockets;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Crash;
using AiOrchestra.Web.Tests.Store;
using Npgsql;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>PostgreSQL going away: before start-up reaches it, and under runs in flight.</summary>
[Trait("Provider", "postgres")]
public sealed class PostgresFaultTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "aiorchestra-tests", Guid.NewGuid().ToString("N"));

    public PostgresFaultTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        _database.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task An_unreachable_server_at_start_up_is_retried_then_one_line_saying_what_to_check_and_exit_code_1()
    {
        // a port nothing listens on: the connection is refused at once, every try
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (exitCode, output, error) = await AppProcess.RunToExitAsync(_folder, Path.Combine(_folder, "unused.db"), new Dictionary<string, string>
        {
            ["Database:Provider"] = "postgres",
            ["ConnectionStrings:Default"] = $"Host=127.0.0.1;Port={port};Database=aiorchestra;Username=app;Password=not-shown",
            ["Database:ConnectSeconds"] = "3",
        }, TimeSpan.FromSeconds(90));

        Assert.Equal(1, exitCode);
        Assert.Contains("cannot be reached yet", output + error); // retried, each try logged
        var line = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
        Assert.Contains("PostgreSQL at 127.0.0.1 (database aiorchestra) could not be reached for 3 s", line);
        Assert.Contains("Start the server, or correct ConnectionStrings__Default", line);
        Assert.DoesNotContain("not-shown", output + error);
        Assert.DoesNotContain("   at ", output + error);
    }

    [PostgresFact]
    public async Task Connections_dropped_under_runs_in_flight_lose_no_run_and_the_app_goes_on()
    {
        var steps = new FakeSteps();
        await using var host = new StoreHost(_database, steps, new Dictionary<string, string?> { ["Runs:PollSeconds"] = "1" });
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("held",
            FakeSteps.Step("first", "echo", "one"), FakeSteps.Step("wait", "block", "two"), FakeSteps.Step("last", "echo", "three")));
        var inFlight = await host.EnqueueAsync(owner, "held");
        await steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // what a server restart does to the app: every connection it holds is closed under it
        await using (var admin = new NpgsqlConnection(_database.ConnectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
            Assert.True((long)(await terminate.ExecuteScalarAsync())! > 0);
        }
        steps.Blocking = false;
        steps.Release();

        // a write that failed meanwhile hands the run back for StoreFailures.RetryAfter (30 s) before it resumes: longer
        // than WaitForRunAsync waits, so the stored status is polled (the bound only turns a hang into a failure)
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await SucceededAsync())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(120), "the run in flight did not finish after its connections were dropped");
            await Task.Delay(200);
        }
        var finished = await host.GetRunAsync(owner, inFlight);
        Assert.Equal(RunStatus.Succeeded, finished.Run.Status);
        Assert.Equal("\"three\"", finished.Steps.Single(s => s.StepId == "last").Output);
        Assert.Equal(1, steps.Calls(inFlight, "first"));
        // and runs started afterwards are stored and run as before
        var after = await host.EnqueueAsync(owner, "held");
        Assert.Equal(RunStatus.Succeeded, (await host.WaitForRunAsync(owner, after)).Run.Status);

        // the test's own reads share the process's pool, whose connections were terminated too: such a read fails once
        async Task<bool> SucceededAsync()
        {
            try
            {
                return await host.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AnyAsync(
                    db.Runs, r => r.Id == inFlight && r.Status == RunStatus.Succeeded));
            }
            catch (Exception e) when (AiOrchestra.Web.Data.StoreFailures.IsStorageFailure(e))
            {
                return false;
            }
        }
    }
}
