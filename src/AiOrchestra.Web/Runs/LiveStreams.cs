using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Counts each user's open live event streams (the API's <c>/api/runs/{id}/events</c> and the run page's
/// <c>/runs/{id}/live</c> together): each one holds memory for as long as it is open, so a user may hold at most
/// <c>Runs:LiveStreamsPerUser</c> at once.
/// </summary>
public sealed class LiveStreams(IOptions<RunOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    public int PerUser => options.Value.LiveStreamsPerUser;

    /// <summary>The sentence for a refused stream: the limit and what to do.</summary>
    public string Refusal =>
        $"You already have {PerUser} live event streams open, the most one user may have at once (Runs:LiveStreamsPerUser). "
        + "Close a run page or an event stream you no longer watch, then try again.";

    /// <summary>
    /// Opens a stream for <paramref name="ownerId"/>, counted until the request ends; false when the user already has
    /// as many open as allowed.
    /// </summary>
    public bool TryOpen(HttpContext context, string ownerId)
    {
        while (true)
        {
            var open = _open.GetValueOrDefault(ownerId);
            if (open >= PerUser)
            {
                return false;
            }
            if (open == 0 ? _open.TryAdd(ownerId, 1) : _open.TryUpdate(ownerId, open + 1, open))
            {
                break;
            }
        }
        // released when the request ends, however it ends (finished, client gone, error)
        context.Response.RegisterForDispose(new Lease(this, ownerId));
        return true;
    }

    private void Close(string ownerId)
    {
        while (true)
        {
            var open = _open[ownerId];
            if (open == 1 ? _open.TryRemove(new KeyValuePair<string, int>(ownerId, 1)) : _open.TryUpdate(ownerId, open - 1, open))
            {
                return;
            }
        }
    }

    private sealed class Lease(LiveStreams streams, string ownerId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                streams.Close(ownerId);
            }
        }
    }
}
