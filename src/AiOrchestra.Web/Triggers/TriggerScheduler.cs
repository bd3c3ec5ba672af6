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
    private const int ChunkSize = 250;
    private const int QueueConcurrency = 32;

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
        // many schedules share a due time (every minute on the minute): claim a chunk of them in one transaction, queue
        // their runs together (the run writer commits them in a few batches), then record them in one transaction, so a
        // thousand schedules fire within a second instead of one commit after another
        foreach (var chunk in due.Chunk(ChunkSize))
        {
            var firings = await ClaimAsync(db, chunk, now, cancellationToken);
            var queued = new EnqueueResult[firings.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, firings.Count), new ParallelOptions { MaxDegreeOfParallelism = QueueConcurrency, CancellationToken = cancellationToken },
                async (index, token) => queued[index] = await QueueAsync(firings[index], token));
            await RecordAsync(db, firings, queued, cancellationToken);
        }
    }

    /// <summary>A due time claimed for a trigger, to be queued.</summary>
    private sealed record Firing(TriggerState State, WorkflowTrigger Trigger, DateTimeOffset DueAt, string Key);

    /// <summary>Moves each trigger's due time on and claims the due times to fire, in one transaction.</summary>
    private async Task<List<Firing>> ClaimAsync(AppDbContext db, TriggerState[] states, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var firings = new List<Firing>(states.Length);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var state in states)
        {
            await PlanAsync(db, state, now, firings, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return firings;
    }

    private async Task PlanAsync(AppDbContext db, TriggerState state, DateTimeOffset now, List<Firing> firings, CancellationToken cancellationToken)
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
            var key = "due:" + Stamp(at);
            var claimed = await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO trigger_firings (trigger_state_id, key, run_id, created_at) VALUES ({state.Id}, {key}, NULL, {now.ToUnixTimeMilliseconds()})
                ON CONFLICT (trigger_state_id, key) DO NOTHING
                """, cancellationToken);
            if (claimed > 0)
            {
                firings.Add(new Firing(state, trigger, at, key));
            }
        }
        if (note is not null)
        {
            await db.TriggerStates.Where(t => t.Id == state.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastError, note).SetProperty(t => t.LastErrorAt, now), cancellationToken);
        }
    }

    private async Task<EnqueueResult> QueueAsync(Firing firing, CancellationToken cancellationToken)
    {
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, value) in firing.Trigger.Variables)
        {
            inputs[name] = value?.DeepClone();
        }
        inputs[WorkflowTrigger.Variable] = new JsonObject { ["due_at"] = Stamp(firing.DueAt) };
        var state = firing.State;
        EnqueueResult queued;
        using (RunTracing.StartTrigger("schedule", state.WorkflowId, state.TriggerId))
        {
            queued = await queue.EnqueueAsync(state.OwnerId, state.WorkflowId, inputs, RunOrigin.Schedule(state.TriggerId), cancellationToken);
        }
        metrics.TriggerFired("schedule", state.WorkflowId, queued.Succeeded);
        alerts.TriggerFired(state.OwnerId, state.WorkflowId, state.TriggerId, queued.Succeeded, string.Join(" ", queued.Errors));
        return queued;
    }

    /// <summary>Records on each claim and trigger the run it started, or why none was, in one transaction.</summary>
    private async Task RecordAsync(AppDbContext db, List<Firing> firings, EnqueueResult[] queued, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        for (var index = 0; index < firings.Count; index++)
        {
            var (state, _, dueAt, key) = firings[index];
            if (!queued[index].Succeeded)
            {
                var error = $"the run due at {Stamp(dueAt)} was not started: {string.Join(" ", queued[index].Errors)}";
                LogNotStarted(state.WorkflowId, state.TriggerId, error);
                await db.TriggerStates.Where(t => t.Id == state.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastError, error).SetProperty(t => t.LastErrorAt, now), cancellationToken);
                continue;
            }
            var runId = queued[index].RunId;
            await db.TriggerFirings.Where(f => f.TriggerStateId == state.Id && f.Key == key)
                .ExecuteUpdateAsync(s => s.SetProperty(f => f.RunId, runId), cancellationToken);
            await db.TriggerStates.Where(t => t.Id == state.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastFiredAt, now).SetProperty(t => t.LastRunId, runId), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
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
