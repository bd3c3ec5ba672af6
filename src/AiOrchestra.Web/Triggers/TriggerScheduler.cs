using AiOrchestra.Web.Metrics;
using System.Globalization;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Triggers;

/// <summary>
/// Fires schedule triggers. Each due time is claimed in <c>trigger_firings</c> (unique per trigger and due time)
/// before its run is queued, so a restart or a second process never fires it twice. Due times that passed while the
/// app was stopped follow the trigger's <c>missed</c> policy, and are logged and recorded on the trigger either way.
/// </summary>
public sealed partial class TriggerScheduler(
    IDbContextFactory<AppDbContext> dbs, TriggerWorkflows workflows, RunQueue queue, IOptions<TriggerOptions> options,
    OperationMetrics metrics, Alerts.AlertSignals alerts, TimeProvider time, ILogger<TriggerScheduler> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private const int MaxDueTimesPerPass = 1000;

    private readonly SemaphoreSlim _pass = new(1, 1);
    private static readonly TimeSpan CleanEvery = TimeSpan.FromMinutes(10);
    private DateTimeOffset _cleanedAt = DateTimeOffset.MinValue;
    private bool _orphansReported;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FireDueAsync(stoppingToken);
                await Task.Delay(Tick, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // one bad pass (a locked database) must not stop the schedules
                LogPassFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Fires every schedule due by now; safe to call from several places at once (the claims decide).</summary>
    public async Task FireDueAsync(CancellationToken cancellationToken)
    {
        // one pass at a time in this process: a pass asked for while another runs waits for it, then sees its result
        await _pass.WaitAsync(cancellationToken);
        try
        {
            await PassAsync(cancellationToken);
        }
        finally
        {
            _pass.Release();
        }
    }

    private async Task PassAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        if (!_orphansReported)
        {
            await ReportUnstartedAsync(db, now, cancellationToken);
            _orphansReported = true;
        }
        if (now - _cleanedAt > CleanEvery)
        {
            // claims older than the delivery window are never looked at again: a schedule's due time has moved past them
            var cutoff = now - WebhookDeliveries.Window - CleanEvery;
            await db.TriggerFirings.Where(f => f.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
            _cleanedAt = now;
        }
        var due = await db.TriggerStates.AsNoTracking()
            .Where(t => t.Type == "schedule" && t.Enabled && t.NextDueAt != null && t.NextDueAt <= now)
            .OrderBy(t => t.NextDueAt)
            .Take(MaxDueTimesPerPass)
            .ToListAsync(cancellationToken);
        foreach (var state in due)
        {
            await FireAsync(db, state, now, cancellationToken);
        }
    }

    private async Task FireAsync(AppDbContext db, TriggerState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var found = await workflows.FindAsync(db, state, cancellationToken);
        if (found is not { Trigger: var trigger })
        {
            await db.TriggerStates.Where(t => t.Id == state.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.NextDueAt, (DateTimeOffset?)null), cancellationToken);
            return;
        }
        // every due time up to now: recent ones fire, older ones were missed while the app was stopped
        var missedBefore = now - TimeSpan.FromSeconds(options.Value.MissedAfterSeconds);
        var recent = new List<DateTimeOffset>();
        var missed = new List<DateTimeOffset>();
        for (DateTimeOffset? at = state.NextDueAt; at is { } t && t <= now && recent.Count + missed.Count < MaxDueTimesPerPass; at = TriggerSchedule.Next(trigger, t))
        {
            (t < missedBefore ? missed : recent).Add(t);
        }
        var fire = new List<DateTimeOffset>(recent);
        string? note = null;
        if (missed.Count > 0)
        {
            var policy = TriggerNames.Text(trigger.Missed);
            LogMissed(state.WorkflowId, state.TriggerId, missed.Count, missed[0], policy);
            note = trigger.Missed == MissedPolicy.RunOnce
                ? $"{missed.Count} due time(s) from {Stamp(missed[0])} passed while the app was stopped; ran once for them (missed: run_once)"
                : $"{missed.Count} due time(s) from {Stamp(missed[0])} passed while the app was stopped and were skipped (missed: skip)";
            if (trigger.Missed == MissedPolicy.RunOnce)
            {
                fire.Insert(0, missed[^1]);
            }
        }

        var next = TriggerSchedule.Next(trigger, now);
        // only the pass that moves the due time on fires it; a second process or pass that read the same row stops here
        var moved = await db.TriggerStates.Where(t => t.Id == state.Id && t.NextDueAt == state.NextDueAt)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.NextDueAt, next), cancellationToken);
        if (moved == 0)
        {
            return;
        }
        foreach (var at in fire)
        {
            await FireOnceAsync(db, state, trigger, at, cancellationToken);
        }
        if (note is not null)
        {
            await db.TriggerStates.Where(t => t.Id == state.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastError, note).SetProperty(t => t.LastErrorAt, now), cancellationToken);
        }
    }

    private async Task FireOnceAsync(AppDbContext db, TriggerState state, WorkflowTrigger trigger, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var key = "due:" + Stamp(dueAt);
        var now = time.GetUtcNow();
        var claimed = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO trigger_firings (trigger_state_id, key, run_id, created_at) VALUES ({state.Id}, {key}, NULL, {now.ToUnixTimeMilliseconds()})
            ON CONFLICT (trigger_state_id, key) DO NOTHING
            """, cancellationToken);
        if (claimed == 0)
        {
            return;
        }
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, value) in trigger.Variables)
        {
            inputs[name] = value?.DeepClone();
        }
        inputs[WorkflowTrigger.Variable] = new JsonObject { ["due_at"] = Stamp(dueAt) };
        EnqueueResult queued;
        using (RunTracing.StartTrigger("schedule", state.WorkflowId, state.TriggerId))
        {
            queued = await queue.EnqueueAsync(state.OwnerId, state.WorkflowId, inputs, RunOrigin.Schedule(state.TriggerId), cancellationToken);
        }
        metrics.TriggerFired("schedule", state.WorkflowId, queued.Succeeded);
        alerts.TriggerFired(state.OwnerId, state.WorkflowId, state.TriggerId, queued.Succeeded, string.Join(" ", queued.Errors));
        if (!queued.Succeeded)
        {
            var error = $"the run due at {Stamp(dueAt)} was not started: {string.Join(" ", queued.Errors)}";
            LogNotStarted(state.WorkflowId, state.TriggerId, error);
            await db.TriggerStates.Where(t => t.Id == state.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastError, error).SetProperty(t => t.LastErrorAt, now), cancellationToken);
            return;
        }
        await db.TriggerFirings.Where(f => f.TriggerStateId == state.Id && f.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.RunId, queued.RunId), cancellationToken);
        await db.TriggerStates.Where(t => t.Id == state.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastFiredAt, now).SetProperty(t => t.LastRunId, queued.RunId), cancellationToken);
    }

    /// <summary>
    /// At start: due times claimed by a process that stopped before queueing their run. They are not fired again (the
    /// claim is what prevents a double run) but are logged and shown on the trigger, never lost silently.
    /// </summary>
    private async Task ReportUnstartedAsync(AppDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var orphans = await db.TriggerFirings.AsNoTracking()
            .Where(f => f.RunId == null && f.Key.StartsWith("due:"))
            .Join(db.TriggerStates, f => f.TriggerStateId, t => t.Id, (f, t) => new { f.Id, f.Key, t.WorkflowId, t.TriggerId, StateId = t.Id })
            .ToListAsync(cancellationToken);
        foreach (var orphan in orphans)
        {
            var note = $"the run due at {orphan.Key["due:".Length..]} was claimed but not queued (the app stopped in between); start it by hand if it is needed";
            LogNotStarted(orphan.WorkflowId, orphan.TriggerId, note);
            await db.TriggerStates.Where(t => t.Id == orphan.StateId)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastError, note).SetProperty(t => t.LastErrorAt, now), cancellationToken);
            // reported once: the claim stays (so the due time never fires twice), marked as seen
            await db.TriggerFirings.Where(f => f.Id == orphan.Id).ExecuteUpdateAsync(s => s.SetProperty(f => f.RunId, ""), cancellationToken);
        }
    }

    private static string Stamp(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {WorkflowId}/{TriggerId}: {Count} due time(s) from {First} passed while the app was stopped; missed: {Policy}")]
    private partial void LogMissed(string workflowId, string triggerId, int count, DateTimeOffset first, string policy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {WorkflowId}/{TriggerId}: {Error}")]
    private partial void LogNotStarted(string workflowId, string triggerId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A pass of the scheduler failed; trying again")]
    private partial void LogPassFailed(Exception e);
}
