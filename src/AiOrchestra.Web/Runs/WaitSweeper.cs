using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Ends the waits that are due, from the database: a wait step's time has come (the step succeeds) or an approval was
/// not answered in time (the step fails); each run is queued again and the worker resumes it after the step. It sleeps
/// until the next due wait (at most <c>Runs:PollSeconds</c>, for waits another process keeps) on the host's
/// <see cref="TimeProvider"/>, and is woken when a run pauses. Nothing of a wait lives in memory: a restart loses none.
/// </summary>
public sealed class WaitSweeper(RunWriter writer, RunSignal worker, TimeProvider time, IOptions<RunOptions> options, ILogger<WaitSweeper> log)
    : BackgroundService
{
    private const int Batch = 256;

    private readonly RunSignal _wake = new(time);

    /// <summary>A run paused: look again when its wait is due, which may be sooner than the sweeper planned to.</summary>
    internal void Wake() => _wake.Wake();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromSeconds(options.Value.PollSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                var (woken, next) = await writer.WakeDueWaitsAsync(time.GetUtcNow(), Batch);
                if (woken > 0)
                {
                    worker.Wake();
                }
                // measured after the write: a clock that moved meanwhile (or a test's) never leaves a due wait sleeping
                delay = woken == Batch ? TimeSpan.Zero
                    : next is { } due ? TimeSpan.FromTicks(Math.Clamp((due - time.GetUtcNow()).Ticks, 0, poll.Ticks))
                    : poll;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogError(e, "Waking due waits failed; trying again in {Seconds} s", poll.TotalSeconds);
                delay = poll;
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await _wake.WaitAsync(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }
}
