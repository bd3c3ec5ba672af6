using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Triggers;

/// <summary>
/// A webhook delivery's <c>Idempotency-Key</c> (or <c>X-GitHub-Delivery</c>), claimed in <c>trigger_firings</c> before
/// its run is queued: the same key within 24 hours gets the first run instead of starting another.
/// </summary>
public sealed class WebhookDeliveries(IDbContextFactory<AppDbContext> dbs, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    /// <summary>Claimed, or the run id the first delivery started (null while it is being started).</summary>
    public sealed record Claim(bool Claimed, string? RunId);

    public async Task<Claim> ClaimAsync(long stateId, string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var cutoff = now - (long)Window.TotalMilliseconds;
        var firingKey = "delivery:" + key;
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        // one statement: a new key is inserted, one older than the window taken over, a recent one left alone
        var claimed = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO trigger_firings (trigger_state_id, key, run_id, created_at) VALUES ({stateId}, {firingKey}, NULL, {now})
            ON CONFLICT (trigger_state_id, key) DO UPDATE SET run_id = NULL, created_at = excluded.created_at
            WHERE trigger_firings.created_at < {cutoff}
            """, cancellationToken);
        if (claimed > 0)
        {
            return new Claim(true, null);
        }
        var runId = await db.TriggerFirings.AsNoTracking()
            .Where(f => f.TriggerStateId == stateId && f.Key == firingKey)
            .Select(f => f.RunId)
            .FirstOrDefaultAsync(cancellationToken);
        return new Claim(false, runId);
    }

    public async Task RecordAsync(long stateId, string key, string runId, CancellationToken cancellationToken)
    {
        var firingKey = "delivery:" + key;
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        await db.TriggerFirings.Where(f => f.TriggerStateId == stateId && f.Key == firingKey)
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.RunId, runId), cancellationToken);
    }

    /// <summary>The run was not started: a retry of the delivery may start it.</summary>
    public async Task ReleaseAsync(long stateId, string key, CancellationToken cancellationToken)
    {
        var firingKey = "delivery:" + key;
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        await db.TriggerFirings.Where(f => f.TriggerStateId == stateId && f.Key == firingKey && f.RunId == null)
            .ExecuteDeleteAsync(cancellationToken);
    }
}
