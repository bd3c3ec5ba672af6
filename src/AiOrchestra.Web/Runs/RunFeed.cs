using System.Threading.Channels;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// The live events of one active run: everything published so far (for late subscribers) and the subscribers'
/// queues. Publishing and subscribing take the same lock, so a subscriber sees every event exactly once.
/// <para>
/// Every event gets the run's next number (its SSE id) and is handed out in number order, so ids are gap-free and
/// only grow even when parallel branches publish at once: a client reconnecting with its Last-Event-ID gets each
/// event after it exactly once. An event that is stored first (a step's start or finish, a step's note) takes its
/// number before the write (<see cref="Reserve"/>), is stored with it, and is held back with everything numbered
/// after it until it is published; so a replay from the store gives it the same id.
/// </para>
/// </summary>
internal sealed class RunFeed(string runId)
{
    private readonly object _lock = new();
    private readonly List<RunEvent> _events = [];
    private readonly List<Channel<RunEvent>> _subscribers = [];

    // subscribers that wait only for the run's end (an execute call, a webhook answering with the output): handed
    // run-finished or run-waiting alone, so a run's other events do not wake each waiting request
    private readonly List<Channel<RunEvent>> _endWatchers = [];
    private readonly SortedDictionary<long, RunEvent?> _held = [];
    private long _assigned;
    private long _delivered;
    private bool _started;
    private bool _retired;
    private bool _subscribed;

    public string RunId { get; } = runId;

    public bool Finished { get; private set; }

    /// <summary>Someone has subscribed to this run's events (and may reconnect with a Last-Event-ID).</summary>
    public bool HadSubscribers
    {
        get
        {
            lock (_lock)
            {
                return _subscribed;
            }
        }
    }

    /// <summary>The worker has taken this feed for its run.</summary>
    public bool Started
    {
        get
        {
            lock (_lock)
            {
                return _started;
            }
        }
    }

    /// <summary>The worker takes the feed for its run; false when a subscriber just retired it (take a new one).</summary>
    public bool TryStart()
    {
        lock (_lock)
        {
            _started = !_retired;
            return _started;
        }
    }

    /// <summary>
    /// A feed a subscriber opened for a run that has not started here is retired when its last subscriber leaves,
    /// so waiting on runs that never start in this process leaves nothing behind.
    /// </summary>
    public bool TryRetire()
    {
        lock (_lock)
        {
            _retired = !_started && _subscribers.Count == 0 && _endWatchers.Count == 0 && _events.Count == 0;
            return _retired;
        }
    }

    /// <summary>The next number, for an event that is stored before it is published with <see cref="Publish(long, RunEvent)"/>.</summary>
    public long Reserve()
    {
        lock (_lock)
        {
            return ++_assigned;
        }
    }

    /// <summary>Publishes the event as the run's next number.</summary>
    public void Publish(RunEvent item)
    {
        lock (_lock)
        {
            Deliver(++_assigned, item);
        }
    }

    /// <summary>Publishes the event under the number it reserved, once every number before it is out.</summary>
    public void Publish(long number, RunEvent item)
    {
        lock (_lock)
        {
            Deliver(number, item);
        }
    }

    /// <summary>A reserved number whose event will never come (its write failed): the events after it go on.</summary>
    public void Skip(long number)
    {
        lock (_lock)
        {
            Deliver(number, null);
        }
    }

    /// <summary>
    /// A run going on after a pause or a crash: first what it had stored, with the numbers it was published with (an
    /// event stored without one, in the order given, gets the next), then new events numbered from after
    /// <paramref name="continueAfter"/>.
    /// </summary>
    public void Resume(IEnumerable<RunEvent> stored, long continueAfter)
    {
        lock (_lock)
        {
            var unnumbered = new List<RunEvent>();
            foreach (var item in stored)
            {
                if (item.Sequence > 0)
                {
                    Emit(item.Sequence, item);
                }
                else
                {
                    unnumbered.Add(item);
                }
            }
            _delivered = _assigned = Math.Max(_delivered, continueAfter);
            foreach (var item in unnumbered)
            {
                Deliver(++_assigned, item);
            }
        }
    }

    private void Deliver(long number, RunEvent? item)
    {
        if (number != _delivered + 1)
        {
            _held[number] = item;
            return;
        }
        Emit(number, item);
        while (_held.Remove(_delivered + 1, out var next))
        {
            Emit(_delivered + 1, next);
        }
    }

    private void Emit(long number, RunEvent? item)
    {
        _delivered = number;
        if (item is null || Finished)
        {
            return;
        }
        item = item.Sequence == number ? item : item with { Sequence = number };
        _events.Add(item);
        foreach (var subscriber in _subscribers)
        {
            subscriber.Writer.TryWrite(item);
        }
        if (item.Type is RunEvent.RunFinished or RunEvent.RunWaiting)
        {
            Finished = true;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryComplete();
            }
            _subscribers.Clear();
            foreach (var watcher in _endWatchers)
            {
                watcher.Writer.TryWrite(item);
                watcher.Writer.TryComplete();
            }
            _endWatchers.Clear();
        }
    }

    /// <summary>
    /// The events after <paramref name="afterSequence"/> so far, and a queue of those still to come (completed at
    /// run-finished). A subscriber that may come back with a Last-Event-ID (<paramref name="mayReconnect"/>) has the
    /// run's events kept a while after it finishes. Null when the feed was retired: the worker will not publish into
    /// it, so take the run's current feed instead. A subscriber that waits only for the end (<paramref name="endOnly"/>)
    /// is handed run-finished or run-waiting alone, and no history.
    /// </summary>
    public (List<RunEvent> History, Channel<RunEvent> Queue)? TrySubscribe(long afterSequence, bool mayReconnect = true, bool endOnly = false)
    {
        var channel = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        lock (_lock)
        {
            if (_retired)
            {
                return null;
            }
            _subscribed |= mayReconnect;
            var history = endOnly ? [] : _events.Where(e => e.Sequence > afterSequence).ToList();
            if (Finished)
            {
                if (endOnly && _events.Count > 0)
                {
                    channel.Writer.TryWrite(_events[^1]);
                }
                channel.Writer.TryComplete();
            }
            else
            {
                (endOnly ? _endWatchers : _subscribers).Add(channel);
            }
            return (history, channel);
        }
    }

    public void Unsubscribe(Channel<RunEvent> subscription)
    {
        lock (_lock)
        {
            if (!_subscribers.Remove(subscription))
            {
                _endWatchers.Remove(subscription);
            }
        }
    }
}
