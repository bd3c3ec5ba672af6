using System.Threading.Channels;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// The live events of one active run: everything published so far (for late subscribers) and the subscribers'
/// queues. Publishing and subscribing take the same lock, so a subscriber sees every event exactly once.
/// </summary>
internal sealed class RunFeed(string runId)
{
    private readonly object _lock = new();
    private readonly List<RunEvent> _events = [];
    private readonly List<Channel<RunEvent>> _subscribers = [];
    private int _stepsStarted;
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
            _retired = !_started && _subscribers.Count == 0 && _events.Count == 0;
            return _retired;
        }
    }

    /// <summary>
    /// How many of the run's steps have started or finished here, counting finished steps a resumed run replays:
    /// what <see cref="RunEvent.RunFinishedSequence"/> needs.
    /// </summary>
    public int StepsStarted
    {
        get
        {
            lock (_lock)
            {
                return _stepsStarted;
            }
        }
    }

    /// <summary>Keeps the event and hands it to every subscriber; nothing is published after run-finished.</summary>
    public void Publish(RunEvent item)
    {
        lock (_lock)
        {
            if (Finished)
            {
                return;
            }
            if (item.Index is { } index)
            {
                _stepsStarted = Math.Max(_stepsStarted, index + 1);
            }
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
            }
        }
    }

    /// <summary>
    /// The events after <paramref name="afterSequence"/> so far, and a queue of those still to come (completed at
    /// run-finished). A subscriber that may come back with a Last-Event-ID (<paramref name="mayReconnect"/>) has the
    /// run's events kept a while after it finishes. Null when the feed was retired: the worker will not publish into
    /// it, so take the run's current feed instead.
    /// </summary>
    public (List<RunEvent> History, Channel<RunEvent> Queue)? TrySubscribe(long afterSequence, bool mayReconnect = true)
    {
        var channel = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        lock (_lock)
        {
            if (_retired)
            {
                return null;
            }
            _subscribed |= mayReconnect;
            var history = _events.Where(e => e.Sequence > afterSequence).ToList();
            if (Finished)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _subscribers.Add(channel);
            }
            return (history, channel);
        }
    }

    public void Unsubscribe(Channel<RunEvent> subscription)
    {
        lock (_lock)
        {
            _subscribers.Remove(subscription);
        }
    }
}
