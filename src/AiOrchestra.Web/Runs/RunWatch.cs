using System.Threading.Channels;

namespace AiOrchestra.Web.Runs;

/// <summary>A subscription to a new run's events, made before the run was stored (<see cref="RunEvents.WatchNew"/>); dispose it to leave.</summary>
internal sealed class RunWatch(RunEvents events, RunFeed feed, Channel<RunEvent> queue) : IDisposable
{
    /// <summary>Once finished, the run as stored when this process ran it from its start (see <see cref="RunEvent.Stored"/>); else null.</summary>
    public RunDetails? Finished { get; private set; }

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
                Finished = item.Stored;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// As <see cref="WaitForFinishAsync(CancellationToken)"/>, for at most <paramref name="wait"/>: false when the run
    /// outlives it (the caller answers 202 with where to look), or the app stops first.
    /// </summary>
    public async Task<bool> WaitForFinishAsync(TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(wait, time);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await WaitForFinishAsync(waiting.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Leaves the run's feed; a run this process never started (the host stopping, or the insert failed) leaves no feed behind.</summary>
    public void Dispose() => events.Leave(feed, queue);
}
