using System.Collections.Concurrent;

namespace AiOrchestra.Web.Runs;

/// <summary>The cancel switches of the runs executing in this process, by run id.</summary>
public sealed class RunCancellations
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _early = new(StringComparer.Ordinal);

    internal void Register(string runId, CancellationTokenSource cancel)
    {
        _running[runId] = cancel;
        // a cancel that arrived between the claim and this registration still counts
        if (_early.TryRemove(runId, out _))
        {
            cancel.Cancel();
        }
    }

    internal void Unregister(string runId)
    {
        _running.TryRemove(runId, out _);
        _early.TryRemove(runId, out _);
    }

    /// <summary>The ids of the runs executing here now.</summary>
    internal List<string> RunningHere() => [.. _running.Keys];

    /// <summary>A cancel another process passed on: applies only to a run executing here.</summary>
    internal void CancelIfRunningHere(string runId)
    {
        if (_running.TryGetValue(runId, out var cancel))
        {
            cancel.Cancel();
        }
    }

    internal void Cancel(string runId)
    {
        if (_running.TryGetValue(runId, out var cancel))
        {
            cancel.Cancel();
        }
        else
        {
            _early[runId] = 0;
        }
    }
}
