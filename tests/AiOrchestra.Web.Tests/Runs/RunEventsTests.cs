using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;

namespace AiOrchestra.Web.Tests.Runs;

public sealed class RunEventsTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_late_subscriber_gets_the_state_so_far_then_the_live_tail_until_the_run_finishes()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("two", FakeSteps.Step("one", "echo", "1"), FakeSteps.Step("two", "block", "2")));
        var runId = await host.EnqueueAsync(owner, "two");
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30)); // step one has finished, step two is in flight

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<RunEvent>();
        await foreach (var item in host.Get<RunEvents>().SubscribeAsync(owner, runId, 0, timeout.Token))
        {
            received.Add(item);
            if (item is { Type: RunEvent.StepStarted, StepId: "two" })
            {
                _steps.Release(); // everything up to here was history; the rest is live
            }
        }

        Assert.Equal(
            [RunEvent.RunStarted, RunEvent.StepStarted, RunEvent.StepFinished, RunEvent.StepStarted, RunEvent.StepFinished, RunEvent.RunFinished],
            received.Select(e => e.Type));
        Assert.Equal(Enumerable.Range(1, received.Count).Select(n => (long)n), received.Select(e => e.Sequence));
        Assert.Equal("2", received[4].Output!.GetValue<string>());
        Assert.Equal("succeeded", received[^1].Status);
    }

    [Fact]
    public async Task A_subscriber_reconnecting_after_an_event_gets_only_what_came_after_it()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("two", FakeSteps.Step("one", "echo", "1"), FakeSteps.Step("two", "block", "2")));
        var runId = await host.EnqueueAsync(owner, "two");
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = await host.Get<RunEvents>().SubscribeAsync(owner, runId, 0, timeout.Token).Take(3).ToListAsync(timeout.Token);
        var tail = host.Get<RunEvents>().SubscribeAsync(owner, runId, first[^1].Sequence, timeout.Token);
        _steps.Release();
        var rest = await tail.ToListAsync(timeout.Token);

        Assert.Equal([4L, 5L, 6L], rest.Select(e => e.Sequence));
        Assert.Equal(RunEvent.RunFinished, rest[^1].Type);
    }

    [Fact]
    public async Task The_events_of_a_finished_run_are_rebuilt_from_the_store()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("two", FakeSteps.Step("one", "echo", "1"), FakeSteps.Step("two", "echo", "2")));
        var runId = await host.EnqueueAsync(owner, "two");
        await host.WaitForRunAsync(owner, runId);
        Assert.Equal(0, host.Get<RunEvents>().HeldRunCount); // retention 0 in tests: nothing kept once finished

        var replay = await host.Get<RunEvents>().SubscribeAsync(owner, runId, 0, CancellationToken.None).ToListAsync();

        Assert.Equal(
            [RunEvent.RunStarted, RunEvent.StepStarted, RunEvent.StepFinished, RunEvent.StepStarted, RunEvent.StepFinished, RunEvent.RunFinished],
            replay.Select(e => e.Type));
        Assert.Equal("2", replay[4].Output!.GetValue<string>());
        Assert.Equal("succeeded", replay[^1].Status);
    }

    [Fact]
    public async Task Event_ids_are_the_same_live_and_rebuilt_so_a_reconnect_after_a_retried_step_misses_nothing()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        var flaky = FakeSteps.Step("one", "flaky", "1") with { Retry = new RetrySettings { MaxAttempts = 2, InitialDelayMs = 1, MaxDelayMs = 1 } };
        await host.SaveAsync(owner, FakeSteps.Workflow("retried", FakeSteps.Step("zero", "block", "0"), flaky, FakeSteps.Step("two", "echo", "2")));
        var runId = await host.EnqueueAsync(owner, "retried");
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30)); // held at step zero, so the retry happens live

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var live = new List<RunEvent>();
        await foreach (var item in host.Get<RunEvents>().SubscribeAsync(owner, runId, 0, timeout.Token))
        {
            live.Add(item);
            if (item is { Type: RunEvent.StepStarted, StepId: "zero" })
            {
                _steps.Release();
            }
        }
        Assert.Equal(2, live.Count(e => e is { Type: RunEvent.StepStarted, StepId: "one" })); // the retry was published

        var afterStepOne = live.Single(e => e is { Type: RunEvent.StepFinished, StepId: "one" }).Sequence;
        var replayed = await host.Get<RunEvents>().SubscribeAsync(owner, runId, afterStepOne, timeout.Token).ToListAsync(timeout.Token);

        Assert.Equal([RunEvent.StepStarted, RunEvent.StepFinished, RunEvent.RunFinished], replayed.Select(e => e.Type));
        Assert.Equal(["two", "two", null], replayed.Select(e => e.StepId));
        var liveIds = live.Where(e => e.Type != RunEvent.StepStarted || e.Attempt == 1).ToDictionary(e => (e.Type, e.StepId), e => e.Sequence);
        Assert.All(replayed, e => Assert.Equal(liveIds[(e.Type, e.StepId)], e.Sequence));
    }
}
