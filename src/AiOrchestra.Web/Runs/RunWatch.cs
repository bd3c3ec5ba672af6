using System.Threading.Channels;

namespace AiOrchestra.Web.Runs;

/// <summary>A subscription to a new run's events, made before the run was stored (<see cref="RunEvents.WatchNew"/>); dispose it to leave.</summary>
internal sealed class RunWatch(RunEvents events, RunFeed feed, Channel<RunEvent> queue) : IDisposable
{
    /// <summary>
    /// Waits for run-finished: true once the run's outcome is stored (the worker writes before it publishes); false
    /// when the app stops first.
    /// </summary>
    public async Task<bool> WaitForFinishAsync(CancellationToken cancellationToken)
    {
        await foreach (var item in events.LiveAsync(queue.Reader, cancellationToken))
        {
            if (item.Type == RunEvent.RunFinished)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Leaves the run's feed; a run this process never started (the host stopping, or the insert failed) leaves no feed behind.</summary>
    public void Dispose() => events.Leave(feed, queue);
}
