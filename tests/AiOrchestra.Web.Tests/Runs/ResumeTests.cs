using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.Runs;

public sealed class ResumeTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    private static AiOrchestra.Engine.Workflows.Workflow ThreeSteps() => FakeSteps.Workflow("three",
        FakeSteps.Step("one", "echo", "first"),
        FakeSteps.Step("two", "block", "second"),
        FakeSteps.Step("three", "echo", "{{one_output}} and {{two_output}}"));

    [Fact]
    public async Task A_run_interrupted_after_step_one_of_three_resumes_after_restart_without_calling_step_one_again()
    {
        string owner, runId;
        await using (var first = new StoreHost(_database, _steps))
        {
            owner = await first.CreateUserAsync("ada");
            await first.SaveAsync(owner, ThreeSteps());
            runId = await first.EnqueueAsync(owner, "three");
            await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30)); // step one done, step two in flight
        } // the host goes away mid-run

        var interrupted = await ReadRunAsync(runId);
        Assert.Equal(RunStatus.Running, interrupted.Status);
        Assert.Equal(StepStatus.Succeeded, interrupted.Steps.Single(s => s.StepId == "one").Status);

        _steps.Blocking = false;
        await using var second = new StoreHost(_database, _steps);
        var run = await second.WaitForRunAsync(owner, runId);

        Assert.Equal(RunStatus.Succeeded, run.Run.Status);
        Assert.Equal(1, _steps.Calls(runId, "one"));
        Assert.Equal(2, _steps.Calls(runId, "two"));
        Assert.Equal("\"first and second\"", run.Steps.Single(s => s.StepId == "three").Output);
    }

    [Fact]
    [Trait("Provider", "sqlite")]
    public async Task A_run_a_killed_process_left_running_is_resumed_from_its_first_unfinished_step()
    {
        string owner;
        await using (var first = new StoreHost(_database, _steps))
        {
            owner = await first.CreateUserAsync("ada");
            await first.SaveAsync(owner, ThreeSteps());
        }

        // the rows exactly as a SIGKILL after step one leaves them: running, leased by a dead process, step two started
        var runId = Guid.CreateVersion7().ToString();
        await using (var db = OpenDb())
        {
            var now = DateTimeOffset.UtcNow;
            var version = await db.WorkflowVersions.Include(v => v.Record).SingleAsync();
            var run = new Run
            {
                Id = runId, OwnerId = owner, WorkflowRecordId = version.WorkflowRecordId, WorkflowVersionId = version.Id,
                WorkflowId = "three", WorkflowVersionNumber = version.Number, Status = RunStatus.Running, Inputs = "{}",
                CreatedAt = now, StartedAt = now, LeaseOwner = "dead-host/1/0", LeaseExpiresAt = now.AddMinutes(5),
            };
            db.Runs.Add(run);
            run.Steps.Add(new RunStep
            {
                Index = 0, StepId = "one", Status = StepStatus.Succeeded, Output = "\"stored\"", Attempts = 1,
                DurationMs = 3, StartedAt = now, FinishedAt = now,
            });
            run.Steps.Add(new RunStep { Index = 1, StepId = "two", Status = StepStatus.Running, Attempts = 1, StartedAt = now });
            await db.SaveChangesAsync();
        }

        _steps.Blocking = false;
        await using var second = new StoreHost(_database, _steps);
        var resumed = await second.WaitForRunAsync(owner, runId);

        Assert.Equal(RunStatus.Succeeded, resumed.Run.Status);
        Assert.Equal(0, _steps.Calls(runId, "one"));
        Assert.Equal(1, _steps.Calls(runId, "two"));
        Assert.Equal("\"stored and second\"", resumed.Steps.Single(s => s.StepId == "three").Output);
    }

    private AppDbContext OpenDb() =>
        new(_database.Postgres
            ? new DbContextOptionsBuilder<AppDbContext>().UseNpgsql(_database.ConnectionString).Options
            : new DbContextOptionsBuilder<AppDbContext>().UseSqlite(_database.ConnectionString).Options);

    private async Task<Run> ReadRunAsync(string runId)
    {
        await using var db = OpenDb();
        return await db.Runs.Include(r => r.Steps).AsNoTracking().SingleAsync(r => r.Id == runId);
    }
}
