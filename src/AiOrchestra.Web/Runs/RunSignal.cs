using System.Threading.Channels;

namespace AiOrchestra.Web.Runs;

/// <summary>Wakes the worker when a run is enqueued. It carries no state: the database says what is queued.</summary>
public sealed class RunSignal(TimeProvider time)
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    internal void Wake() => _signal.Writer.TryWrite(true);

    /// <summary>Waits for a wake-up or the timeout, whichever comes first.</summary>
    internal async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_signal.Reader.TryRead(out _))
        {
            return;
        }
        using var timer = new CancellationTokenSource(timeout, time);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await _signal.Reader.WaitToReadAsync(waiting.Token);
            _signal.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // timed out: look anyway
        }
    }
}
