using AiOrchestra.Web.Runs;

namespace AiOrchestra.Web.Tests.Runs;

public sealed class RunFeedTests
{
    [Fact]
    public void A_feed_retired_by_its_last_subscriber_refuses_the_next_one_who_then_waits_on_the_feed_the_worker_takes()
    {
        var feed = new RunFeed("run-1");
        var first = feed.TrySubscribe(0);
        Assert.NotNull(first);

        // the last subscriber of a run not started here leaves: the worker will take a new feed, never this one
        feed.Unsubscribe(first.Value.Queue);
        Assert.True(feed.TryRetire());
        Assert.False(feed.TryStart());

        // a subscriber that found the feed just before would otherwise wait on it for events that never come
        Assert.Null(feed.TrySubscribe(0));
    }

    [Fact]
    public void A_feed_with_a_subscriber_is_not_retired_and_the_worker_publishes_into_it()
    {
        var feed = new RunFeed("run-2");
        var subscribed = feed.TrySubscribe(0);
        Assert.NotNull(subscribed);

        Assert.False(feed.TryRetire());
        Assert.True(feed.TryStart());
        feed.Publish(new RunEvent { RunId = "run-2", Sequence = 1, Type = RunEvent.RunStarted, Timestamp = DateTimeOffset.UnixEpoch });

        Assert.True(subscribed.Value.Queue.Reader.TryRead(out var item));
        Assert.Equal(RunEvent.RunStarted, item.Type);
    }

    [Fact]
    public void A_subscriber_waiting_for_the_end_is_handed_run_finished_alone_and_the_others_every_event()
    {
        var feed = new RunFeed("run-3");
        var everything = feed.TrySubscribe(0)!.Value.Queue;
        var end = feed.TrySubscribe(0, mayReconnect: false, endOnly: true)!.Value.Queue;
        Assert.True(feed.TryStart());
        foreach (var type in new[] { RunEvent.RunStarted, RunEvent.StepStarted, RunEvent.StepFinished, RunEvent.RunFinished })
        {
            feed.Publish(new RunEvent { RunId = "run-3", Sequence = 0, Type = type, Timestamp = DateTimeOffset.UnixEpoch });
        }

        Assert.Equal([RunEvent.RunStarted, RunEvent.StepStarted, RunEvent.StepFinished, RunEvent.RunFinished], Drain(everything));
        var ended = Assert.Single(Drain(end));
        Assert.Equal(RunEvent.RunFinished, ended);
        Assert.True(end.Reader.Completion.IsCompleted);

        // one that comes after the end is handed it at once
        var late = feed.TrySubscribe(0, mayReconnect: false, endOnly: true)!.Value;
        Assert.Empty(late.History);
        Assert.Equal([RunEvent.RunFinished], Drain(late.Queue));
    }

    [Fact]
    public void A_feed_whose_waiter_heard_the_run_pause_elsewhere_is_not_taken_by_the_worker_that_resumes_the_run_here()
    {
        var feed = new RunFeed("run-5");
        var waiter = feed.TrySubscribe(0, mayReconnect: false, endOnly: true)!.Value.Queue;
        feed.PublishRemote(new RunEvent { RunId = "run-5", Sequence = 0, Type = RunEvent.RunWaiting, Timestamp = DateTimeOffset.UnixEpoch });
        Assert.Equal([RunEvent.RunWaiting], Drain(waiter));

        // the worker takes a new feed: this one has ended, and would drop the resumed run's events
        Assert.False(feed.TryStart());
        Assert.False(feed.Started);
    }

    private static List<string> Drain(System.Threading.Channels.Channel<RunEvent> queue)
    {
        var types = new List<string>();
        while (queue.Reader.TryRead(out var item))
        {
            types.Add(item.Type);
        }
        return types;
    }

    [Fact]
    public void A_feed_of_a_run_executing_elsewhere_hands_on_its_events_under_their_ids_once_and_always_the_end()
    {
        var feed = new RunFeed("run-3");
        var subscribed = feed.TrySubscribe(0);
        Assert.NotNull(subscribed);
        RunEvent Event(long number, string type) => new() { RunId = "run-3", Sequence = number, Type = type, Timestamp = DateTimeOffset.UnixEpoch };

        feed.PublishRemote(Event(1, RunEvent.RunStarted));
        feed.PublishRemote(Event(2, RunEvent.StepStarted));
        // sent again by the executing process for another process that asked later: dropped here
        feed.PublishRemote(Event(1, RunEvent.RunStarted));
        feed.PublishRemote(Event(2, RunEvent.StepStarted));
        feed.PublishRemote(Event(3, RunEvent.StepDelta));
        // an end read from the store may carry a lower id than the tokens streamed before it: it still ends the feed
        feed.PublishRemote(Event(2, RunEvent.RunFinished));

        var items = new List<RunEvent>();
        while (subscribed.Value.Queue.Reader.TryRead(out var item))
        {
            items.Add(item);
        }
        Assert.Equal([(1L, RunEvent.RunStarted), (2L, RunEvent.StepStarted), (3L, RunEvent.StepDelta), (4L, RunEvent.RunFinished)],
            items.Select(e => (e.Sequence, e.Type)));
        Assert.True(subscribed.Value.Queue.Reader.Completion.IsCompleted);
        // its last subscriber gone, the feed goes: a later subscriber asks the executing process again
        feed.Unsubscribe(subscribed.Value.Queue);
        Assert.True(feed.TryRetire());
    }

    [Fact]
    public void A_feed_this_process_executes_ignores_what_another_process_sends_for_the_run()
    {
        var feed = new RunFeed("run-4");
        Assert.True(feed.TryStart());
        feed.Publish(new RunEvent { RunId = "run-4", Sequence = 0, Type = RunEvent.RunStarted, Timestamp = DateTimeOffset.UnixEpoch });

        Assert.False(feed.PublishRemote(new RunEvent { RunId = "run-4", Sequence = 7, Type = RunEvent.StepStarted, Timestamp = DateTimeOffset.UnixEpoch }));
        Assert.Equal([1L], feed.Snapshot(0).Select(e => e.Sequence));
    }
}
