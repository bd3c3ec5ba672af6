using System.Threading.Channels;

namespace AiOrchestra.Web.Runs;

/// <summary>Wakes the worker when a run is enqueued. It carries no state: the database says what is queued.</summary>
public sealed class RunSignal
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
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await _signal.Reader.WaitToReadAsync(timer.Token);
            _signal.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // timed out: look anyway
        }
    }
}
