using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// Several app hosts on one PostgreSQL database share the run queue: a claim never overlaps another, a run whose lease
/// ran out is taken over by a process that is already running, and a live process's lease is left alone.
/// </summary>
[Trait("Provider", "postgres")]
public sealed class SharedQueueTests : IDisposable
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Runs:PollSeconds"] = "1", ["Runs:Concurrency"] = "2", ["Runs:MaxShare"] = "1",
    };

    private readonly TempDatabase _database = new(empty: true);

    public void Dispose() => _database.Dispose();

    [PostgresFact]
    public async Task Two_hosts_on_one_database_share_the_queue_and_never_run_the_same_run()
    {
        var stepsA = new FakeSteps();
        var stepsB = new FakeSteps();
        await using var a = new StoreHost(_database, stepsA, Settings);
        await using var b = new StoreHost(_database, stepsB, Settings);
        b.CreateClient().Dispose();
        var owner = await a.CreateUserAsync("ada");
        await a.SaveAsync(owner, FakeSteps.Workflow("shared", FakeSteps.Step("one", "block", "x"), FakeSteps.Step("two", "echo", "y")));

        var runs = new List<string>();
        for (var i = 0; i < 24; i++)
        {
            runs.Add(await a.EnqueueAsync(owner, "shared"));
        }
        // each host holds two runs at a time in the blocking step: nothing goes on until both have taken some
        await Task.WhenAll(stepsA.Entered.Task, stepsB.Entered.Task).WaitAsync(TimeSpan.FromSeconds(30));
        await WaitUntilAsync(a, async db =>
        {
            stepsA.Release();
            stepsB.Release();
            return await db.Runs.CountAsync(r => r.Status == RunStatus.Succeeded) == runs.Count;
        });

        Assert.All(runs, run => Assert.Equal(1, stepsA.Calls(run, "one") + stepsB.Calls(run, "one")));
        Assert.All(runs, run => Assert.Equal(1, stepsA.Calls(run, "two") + stepsB.Calls(run, "two")));
        Assert.True(stepsA.CallsOfStep("two") > 0 && stepsB.CallsOfStep("two") > 0,
            $"both hosts should run some: {stepsA.CallsOfStep("two")} and {stepsB.CallsOfStep("two")}");
    }

    [PostgresFact]
    public async Task A_run_whose_lease_ran_out_is_taken_over_by_a_running_host_after_its_last_finished_step()
    {
        var steps = new FakeSteps { Blocking = false };
        await using var host = new StoreHost(_database, steps, Settings);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, ThreeSteps());
        host.CreateClient().Dispose(); // started and idle: not a start-up recovery

        var runId = await InsertLeftRunAsync(host, owner, leaseUntil: DateTimeOffset.UtcNow.AddSeconds(-1));
        await WaitUntilAsync(host, async db => await db.Runs.AnyAsync(r => r.Id == runId && r.Status == RunStatus.Succeeded));

        var run = await host.GetRunAsync(owner, runId);
        Assert.Equal(0, steps.Calls(runId, "one"));
        Assert.Equal(1, steps.Calls(runId, "two"));
        Assert.Equal("\"stored and second\"", run.Steps.Single(s => s.StepId == "three").Output);
    }

    [PostgresFact]
    public async Task A_run_another_live_process_holds_is_left_alone_until_its_lease_runs_out()
    {
        var steps = new FakeSteps { Blocking = false };
        await using var host = new StoreHost(_database, steps, Settings);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, ThreeSteps());
        host.CreateClient().Dispose();

        var held = await InsertLeftRunAsync(host, owner, leaseUntil: DateTimeOffset.UtcNow.AddMinutes(5));
        // a queued run claimed and finished after the held one was written: the claim saw it and left it
        var queued = await host.EnqueueAsync(owner, "three");
        await WaitUntilAsync(host, async db => await db.Runs.AnyAsync(r => r.Id == queued && r.Status == RunStatus.Succeeded));

        var row = await host.WithDbAsync(db => db.Runs.AsNoTracking().SingleAsync(r => r.Id == held));
        Assert.Equal(RunStatus.Running, row.Status);
        Assert.Equal("other-host/1/0", row.LeaseOwner);
        Assert.Equal(0, steps.Calls(held, "two"));
    }

    [PostgresFact]
    public async Task A_cancel_asked_on_one_host_stops_the_run_another_host_executes()
    {
        var stepsA = new FakeSteps();
        var stepsB = new FakeSteps();
        // A runs nothing: its one slot is held by a run that blocks, so B takes the next
        await using var a = new StoreHost(_database, stepsA, new Dictionary<string, string?>(Settings) { ["Runs:Concurrency"] = "1" });
        await using var b = new StoreHost(_database, stepsB, Settings);
        var owner = await a.CreateUserAsync("ada");
        await a.SaveAsync(owner, FakeSteps.Workflow("slow", FakeSteps.Step("one", "block", "x"), FakeSteps.Step("two", "echo", "y")));
        var onA = await a.EnqueueAsync(owner, "slow");
        await stepsA.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        b.CreateClient().Dispose();
        var onB = await a.EnqueueAsync(owner, "slow");
        await stepsB.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var result = await a.Get<AiOrchestra.Web.Runs.RunQueue>().CancelAsync(owner, onB, CancellationToken.None);

        Assert.Equal(AiOrchestra.Web.Runs.CancelResult.CancelRequested, result);
        await WaitUntilAsync(a, async db => await db.Runs.AnyAsync(r => r.Id == onB && r.Status == RunStatus.Cancelled));
        Assert.Equal(0, stepsB.Calls(onB, "two"));
        Assert.Equal(1, stepsA.Calls(onA, "one"));
        stepsA.Release();
    }

    [PostgresFact]
    public async Task Health_reports_the_database_and_the_process_share_of_the_runs_in_flight()
    {
        var steps = new FakeSteps();
        await using var host = new StoreHost(_database, steps, Settings);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("slow", FakeSteps.Step("one", "block", "x")));
        await host.EnqueueAsync(owner, "slow");
        await steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        using var client = host.CreateClient();
        var health = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/health"))!;
        steps.Release();

        Assert.Equal("postgres", health["database"]!.GetValue<string>());
        Assert.Equal(1, health["queue"]!["running_here"]!.GetValue<int>());
        Assert.Equal(1, health["queue"]!["running"]!.GetValue<int>());
        Assert.Equal(1.0, health["queue"]!["share"]!.GetValue<double>());
    }

    [PostgresFact]
    public async Task Hosts_starting_together_on_a_new_database_migrate_once_and_create_one_administrator()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Admin:UserName"] = "admin", ["Admin:Password"] = "Correct-horse-battery-9" };
        var hosts = Enumerable.Range(0, 3).Select(_ => new StoreHost(_database, new FakeSteps(), settings)).ToList();
        try
        {
            await Task.WhenAll(hosts.Select(host => Task.Run(() => host.CreateClient().Dispose())));

            Assert.Equal("admin", (await hosts[2].WithDbAsync(db => db.Users.SingleAsync())).UserName);
            await using var migrations = new AiOrchestra.Web.Data.Postgres.PostgresDbContext(
                AiOrchestra.Web.Data.Postgres.PostgresDbContext.Options(_database.ConnectionString));
            Assert.Empty(await migrations.Database.GetPendingMigrationsAsync());
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    private static AiOrchestra.Engine.Workflows.Workflow ThreeSteps() => FakeSteps.Workflow("three",
        FakeSteps.Step("one", "echo", "first"),
        FakeSteps.Step("two", "echo", "second"),
        FakeSteps.Step("three", "echo", "{{one_output}} and {{two_output}}"));

    /// <summary>The rows another process leaves when it dies after step one: running, its lease, step two started.</summary>
    private static Task<string> InsertLeftRunAsync(StoreHost host, string owner, DateTimeOffset leaseUntil) => host.WithDbAsync(async db =>
    {
        var runId = Guid.CreateVersion7().ToString();
        var now = DateTimeOffset.UtcNow;
        var version = await db.WorkflowVersions.Include(v => v.Record).SingleAsync();
        var run = new Run
        {
            Id = runId, OwnerId = owner, WorkflowRecordId = version.WorkflowRecordId, WorkflowVersionId = version.Id,
            WorkflowId = "three", WorkflowVersionNumber = version.Number, Status = RunStatus.Running, Inputs = "{}",
            CreatedAt = now, StartedAt = now, LeaseOwner = "other-host/1/0", LeaseExpiresAt = leaseUntil,
        };
        db.Runs.Add(run);
        run.Steps.Add(new RunStep
        {
            Index = 0, StepId = "one", Status = StepStatus.Succeeded, Output = "\"stored\"", Attempts = 1,
            DurationMs = 3, StartedAt = now, FinishedAt = now,
        });
        run.Steps.Add(new RunStep { Index = 1, StepId = "two", Status = StepStatus.Running, Attempts = 1, StartedAt = now });
        await db.SaveChangesAsync();
        return runId;
    });

    private static async Task WaitUntilAsync(StoreHost host, Func<AppDbContext, Task<bool>> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await host.WithDbAsync(done))
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}

/// <summary>A test that needs a PostgreSQL server: <c>AIORCHESTRA_TEST_POSTGRES</c> names it (<c>.ci/run</c> starts one).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestPostgres.Server is null)
        {
            Skip = $"needs PostgreSQL: set {TestPostgres.Variable} to a server's connection string (.ci/postgres starts one)";
        }
    }
}
