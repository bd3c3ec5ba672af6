using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.History;

/// <summary>Prunes the run history at start and then every <c>Retention:IntervalMinutes</c>.</summary>
internal sealed class HistoryCleaner(HistoryPruner pruner, IOptions<RetentionOptions> options, TimeProvider time, ILogger<HistoryCleaner> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.IntervalMinutes), time);
        try
        {
            do
            {
                try
                {
                    await pruner.PruneAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // the next tick tries again; a failed clean-up must not stop the app
                    log.LogError(e, "Cleaning up the run history failed; it is tried again in {Minutes} minute(s)", options.Value.IntervalMinutes);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // stopping, or a start that failed (the host is disposed without stopping): nothing to clean up then
        }
    }
}
