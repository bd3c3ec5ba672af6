using System.Threading.Channels;

namespace AiOrchestra.Web.Runs;

/// <summary>A subscription to a new run's events, made before the run was stored (<see cref="RunEvents.WatchNew"/>); dispose it to leave.</summary>
internal sealed class RunWatch : IDisposable
{
    private readonly RunEvents _events;
    private readonly RunFeed _feed;
    private readonly ChannelReader<RunEvent> _live;
    private readonly Channel<RunEvent> _subscription;

    internal RunWatch(RunEvents events, RunFeed feed, ChannelReader<RunEvent> live, Channel<RunEvent> subscription)
    {
        _events = events;
        _feed = feed;
        _live = live;
        _subscription = subscription;
    }

    /// <summary>
    /// Waits for run-finished: true once the run's outcome is stored (the worker writes before it publishes); false
    /// when the app stops first.
    /// </summary>
    public async Task<bool> WaitForFinishAsync(CancellationToken cancellationToken)
    {
        await foreach (var item in _events.LiveAsync(_live, cancellationToken))
        {
            if (item.Type == RunEvent.RunFinished)
            {
                return true;
            }
        }
        return false;
    }

    public void Dispose()
    {
        _feed.Unsubscribe(_subscription);
        // a run this process never started (the host stopping, or the insert failed) leaves no feed behind
        _events.Retire(_feed);
    }
}
