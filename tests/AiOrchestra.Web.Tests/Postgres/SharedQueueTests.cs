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

    private readonly TempDatabase _database = new();

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
        db.Runs.Add(new Run
        {
            Id = runId, OwnerId = owner, WorkflowRecordId = version.WorkflowRecordId, WorkflowVersionId = version.Id,
            WorkflowId = "three", WorkflowVersionNumber = version.Number, Status = RunStatus.Running, Inputs = "{}",
            CreatedAt = now, StartedAt = now, LeaseOwner = "other-host/1/0", LeaseExpiresAt = leaseUntil,
        });
        db.RunSteps.Add(new RunStep
        {
            RunId = runId, Index = 0, StepId = "one", Status = StepStatus.Succeeded, Output = "\"stored\"", Attempts = 1,
            DurationMs = 3, StartedAt = now, FinishedAt = now,
        });
        db.RunSteps.Add(new RunStep { RunId = runId, Index = 1, StepId = "two", Status = StepStatus.Running, Attempts = 1, StartedAt = now });
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
