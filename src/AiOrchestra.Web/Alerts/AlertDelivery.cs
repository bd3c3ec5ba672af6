using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Alerts;

/// <summary>
/// Delivers pending alerts in the background, oldest first. A failed delivery (an error status, a timeout, a refused
/// connection) is recorded and tried again after <c>Alerts:RetrySeconds</c>, doubling each time, until
/// <c>Alerts:MaxAttempts</c>; then the alert is recorded as failed. Runs never wait for any of it.
/// </summary>
internal sealed class AlertDelivery(
    IDbContextFactory<AppDbContext> contexts, AlertSender sender, IOptions<AlertOptions> options, TimeProvider time, ILogger<AlertDelivery> log)
    : BackgroundService
{
    private const int Batch = 20;
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // woken already
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var delivered = 0;
                try
                {
                    delivered = await DeliverDueAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Delivering alerts failed; trying again shortly");
                }
                if (delivered < Batch)
                {
                    // woken by a new alert, or a look every second for retries that came due
                    await _wake.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>Sends the alerts due now; returns how many were tried.</summary>
    internal async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var due = await db.AlertEvents
            .Where(e => e.Status == AlertEventStatus.Pending && e.NextAttemptAt <= now)
            .OrderBy(e => e.NextAttemptAt).ThenBy(e => e.Id).Take(Batch)
            .ToListAsync(cancellationToken);
        foreach (var alert in due)
        {
            var channel = await db.AlertChannels.AsNoTracking().SingleOrDefaultAsync(c => c.Id == alert.ChannelId, cancellationToken);
            var error = channel is null ? "the channel was deleted" : await sender.SendAsync(channel, alert, cancellationToken);
            alert.Attempts++;
            if (error is null)
            {
                alert.Status = AlertEventStatus.Sent;
                alert.SentAt = time.GetUtcNow();
                alert.NextAttemptAt = null;
                alert.LastError = null;
            }
            else
            {
                alert.LastError = error;
                var giveUp = channel is null || alert.Attempts >= settings.MaxAttempts;
                alert.Status = giveUp ? AlertEventStatus.Failed : AlertEventStatus.Pending;
                alert.NextAttemptAt = giveUp ? null : time.GetUtcNow() + RetryDelay(settings.RetrySeconds, alert.Attempts);
                log.LogWarning("Alert {AlertId} to channel {ChannelId} failed (attempt {Attempt}): {Error}", alert.Id, alert.ChannelId, alert.Attempts, error);
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        return due.Count;
    }

    /// <summary><paramref name="seconds"/> after the first attempt, doubling after each further one, at most an hour.</summary>
    internal static TimeSpan RetryDelay(int seconds, int attempts) =>
        TimeSpan.FromSeconds(Math.Min(3600, seconds * Math.Pow(2, Math.Max(0, attempts - 1))));
}
