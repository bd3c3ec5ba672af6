using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;

namespace AiOrchestra.Web.Tests.Runs;

/// <summary>Finished runs' events are kept in memory for reconnects only when someone subscribed to them.</summary>
public sealed class RunEventsRetentionTests : IDisposable
{
    private static readonly Dictionary<string, string?> KeepAMinute = new() { ["Runs:EventRetentionSeconds"] = "60" };

    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_finished_run_nobody_subscribed_to_leaves_nothing_in_memory_and_replays_from_the_store()
    {
        await using var host = new StoreHost(_database, _steps, KeepAMinute);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("two", FakeSteps.Step("one", "echo", "1"), FakeSteps.Step("two", "echo", "2")));
        var runId = await host.EnqueueAsync(owner, "two");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!(await host.GetRunAsync(owner, runId)).Run.Status.IsFinished())
        {
            await Task.Delay(10, timeout.Token);
        }
        // the worker closes the feed right after the stored finish; give it the moment in between
        while (host.Get<RunEvents>().HeldRunCount > 0)
        {
            await Task.Delay(10, timeout.Token);
        }

        var replay = await host.Get<RunEvents>().SubscribeAsync(owner, runId, 0, timeout.Token).ToListAsync(timeout.Token);
        Assert.Equal(6, replay.Count);
        Assert.Equal(RunEvent.RunFinished, replay[^1].Type);
    }

    [Fact]
    public async Task A_finished_run_with_a_subscriber_keeps_its_events_for_a_reconnect()
    {
        await using var host = new StoreHost(_database, _steps, KeepAMinute);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("two", FakeSteps.Step("one", "block", "1"), FakeSteps.Step("two", "echo", "2")));
        var runId = await host.EnqueueAsync(owner, "two");
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30)); // subscribed while the run is live, not after

        var seen = new List<RunEvent>();
        await foreach (var item in host.Get<RunEvents>().SubscribeAsync(owner, runId, 0, CancellationToken.None))
        {
            seen.Add(item);
            if (seen.Count == 1)
            {
                _steps.Release();
            }
        }
        Assert.Equal(1, host.Get<RunEvents>().HeldRunCount);

        var again = await host.Get<RunEvents>().SubscribeAsync(owner, runId, seen[^2].Sequence, CancellationToken.None).ToListAsync();
        Assert.Equal([seen[^1].Sequence], again.Select(e => e.Sequence));
    }
}
