using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;

namespace AiOrchestra.Web.Tests.Runs;

public sealed class CancelTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_queued_run_is_cancelled_at_once_and_never_executes()
    {
        await using var host = new StoreHost(_database, _steps, new() { ["Runs:Concurrency"] = "1" });
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("wait", FakeSteps.Step("hold", "block", "held")));
        await host.SaveAsync(owner, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        var blocking = await host.EnqueueAsync(owner, "wait");
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var queued = await host.EnqueueAsync(owner, "greet");

        var result = await host.Get<RunQueue>().CancelAsync(owner, queued, CancellationToken.None);

        Assert.Equal(CancelResult.Cancelled, result);
        Assert.Equal(RunStatus.Cancelled, (await host.GetRunAsync(owner, queued)).Run.Status);
        _steps.Release();
        await host.WaitForRunAsync(owner, blocking);
        var after = await host.WaitForRunAsync(owner, queued);
        Assert.Equal(RunStatus.Cancelled, after.Run.Status);
        Assert.Empty(after.Steps);
        Assert.Equal(0, _steps.Calls(queued, "hello"));
        Assert.Equal(CancelResult.AlreadyFinished, await host.Get<RunQueue>().CancelAsync(owner, queued, CancellationToken.None));
    }

    [Fact]
    public async Task A_running_run_is_cancelled_during_its_step_and_the_later_steps_never_run()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("three",
            FakeSteps.Step("one", "echo", "1"), FakeSteps.Step("two", "block", "2"), FakeSteps.Step("three", "echo", "3")));
        var runId = await host.EnqueueAsync(owner, "three");
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var result = await host.Get<RunQueue>().CancelAsync(owner, runId, CancellationToken.None);
        var run = await host.WaitForRunAsync(owner, runId);

        Assert.Equal(CancelResult.CancelRequested, result);
        Assert.Equal(RunStatus.Cancelled, run.Run.Status);
        Assert.True(run.Run.CancelRequested);
        Assert.Equal([StepStatus.Succeeded, StepStatus.Cancelled], run.Steps.Select(s => s.Status));
        Assert.Equal(0, _steps.Calls(runId, "three"));
    }
}
