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
    private bool _waiter;
    private bool _remote;

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

    /// <summary>A request in this process waits for the run's end (a subscriber that cannot reconnect: <see cref="RunEvents.WatchNew"/>).</summary>
    public bool HasWaiter
    {
        get
        {
            lock (_lock)
            {
                return _waiter;
            }
        }
    }

    /// <summary>The number of the last event handed out (for a feed of a run executing in another process, the last one heard).</summary>
    public long LastDelivered
    {
        get
        {
            lock (_lock)
            {
                return _delivered;
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

    /// <summary>
    /// The worker takes the feed for its run; false when a subscriber just retired it, or when it has ended (a waiter
    /// here heard the run pause on another process, and this process now resumes it): take a new one.
    /// </summary>
    public bool TryStart()
    {
        lock (_lock)
        {
            _started = !_retired && !Finished;
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
            // a feed of a run executing elsewhere holds only what that process sent: it can be asked for again
            _retired = !_started && _subscribers.Count == 0 && _endWatchers.Count == 0 && (_events.Count == 0 || _remote);
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
                if (item.Sequence <= 0)
                {
                    unnumbered.Add(item);
                }
                else if (item.Sequence > _delivered)
                {
                    // one handed out already (heard from the process that ran the run before) is not sent again
                    Emit(item.Sequence, item);
                }
            }
            _delivered = _assigned = Math.Max(_delivered, continueAfter);
            foreach (var item in unnumbered)
            {
                Deliver(++_assigned, item);
            }
        }
    }

    /// <summary>
    /// An event of the run as the process executing it sent it (PostgreSQL, several processes): handed out under the
    /// number it has there, in the order they come, so ids are the same on every process. One already handed out is
    /// dropped; an end (run-finished, run-waiting) always ends the feed. False when this process executes the run itself.
    /// </summary>
    public bool PublishRemote(RunEvent item)
    {
        lock (_lock)
        {
            if (_started || Finished)
            {
                return false;
            }
            _remote = true;
            var number = item.Sequence;
            if (number <= _delivered)
            {
                if (item.Type is not (RunEvent.RunFinished or RunEvent.RunWaiting))
                {
                    return true;
                }
                number = _delivered + 1;
            }
            _assigned = Math.Max(_assigned, number);
            Emit(number, item);
            return true;
        }
    }

    /// <summary>The events handed out after <paramref name="afterSequence"/>, for a process that asks for them.</summary>
    public List<RunEvent> Snapshot(long afterSequence)
    {
        lock (_lock)
        {
            return _events.Where(e => e.Sequence > afterSequence).ToList();
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
            _waiter |= !mayReconnect;
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
