using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Alerts;

/// <summary>
/// Applies the rules to what happens, in the background: each signal (a run finished, a trigger fired) and, every
/// <c>Alerts:CheckSeconds</c>, the queue's oldest run. A rule's subject (a workflow, a trigger, the queue) alerts once
/// when it turns bad and once more when it recovers; the alerts are written as pending for <see cref="AlertDelivery"/>.
/// </summary>
internal sealed class AlertWatch(
    AlertSignals signals, IDbContextFactory<AppDbContext> contexts, AlertDelivery delivery, AlertRateLimit limit, IOptions<AlertOptions> options,
    TimeProvider time, ILogger<AlertWatch> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await signals.ReloadAsync(stoppingToken);
            var every = TimeSpan.FromSeconds(options.Value.CheckSeconds);
            var nextCheck = time.GetUtcNow() + every;
            while (!stoppingToken.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                wait.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    if (await signals.Reader.WaitToReadAsync(wait.Token))
                    {
                        while (signals.Reader.TryRead(out var signal))
                        {
                            await GuardAsync(() => HandleAsync(signal, stoppingToken));
                        }
                    }
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // a second without signals: time to look at the clock
                }
                if (time.GetUtcNow() >= nextCheck)
                {
                    nextCheck = time.GetUtcNow() + every;
                    await GuardAsync(() => CheckQueuesAsync(stoppingToken));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private async Task GuardAsync(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // one failed evaluation must not stop alerting
            log.LogError(e, "Evaluating the alert rules failed");
        }
    }

    internal async Task HandleAsync(AlertSignal signal, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rules = await db.AlertRules.AsNoTracking()
            .Where(r => r.OwnerId == signal.OwnerId && (r.WorkflowId == null || r.WorkflowId == signal.WorkflowId))
            .ToListAsync(cancellationToken);
        foreach (var rule in rules)
        {
            if (signal.TriggerId is { } triggerId)
            {
                if (rule.Kind == AlertRuleKinds.TriggerFailing)
                {
                    var subject = $"{signal.WorkflowId}/{triggerId}";
                    await ApplyAsync(db, rule, subject, bad: !signal.TriggerOk, increment: false, signal,
                        $"Trigger failing: {subject}", $"The trigger '{triggerId}' of workflow '{signal.WorkflowId}' failed: {signal.Error}",
                        $"Trigger recovered: {subject}", $"The trigger '{triggerId}' of workflow '{signal.WorkflowId}' fires again.", cancellationToken);
                }
                continue;
            }
            if (signal.Status is not (RunStatus.Succeeded or RunStatus.Failed))
            {
                continue; // a cancelled run says nothing about health
            }
            var failed = signal.Status == RunStatus.Failed;
            var workflow = signal.WorkflowId;
            switch (rule.Kind)
            {
                case AlertRuleKinds.RunFailed:
                    await ApplyAsync(db, rule, workflow, failed, increment: false, signal,
                        $"Run failed: {workflow}", $"A run of '{workflow}' failed: {signal.Error}",
                        $"Recovered: {workflow}", $"A run of '{workflow}' succeeded again.", cancellationToken);
                    break;
                case AlertRuleKinds.FailuresInRow:
                    await ApplyAsync(db, rule, workflow, failed, increment: true, signal,
                        $"{rule.Threshold} failures in a row: {workflow}", $"The last {rule.Threshold} runs of '{workflow}' failed; the latest: {signal.Error}",
                        $"Recovered: {workflow}", $"A run of '{workflow}' succeeded again.", cancellationToken);
                    break;
                case AlertRuleKinds.SlowRun:
                    var seconds = (int)signal.Duration.TotalSeconds;
                    await ApplyAsync(db, rule, workflow, signal.Duration.TotalSeconds > rule.Threshold, increment: false, signal,
                        $"Slow run: {workflow}", $"A run of '{workflow}' took {seconds} s, more than {rule.Threshold} s.",
                        $"Back to normal speed: {workflow}", $"A run of '{workflow}' took {seconds} s, within {rule.Threshold} s.", cancellationToken);
                    break;
            }
        }
    }

    internal async Task CheckQueuesAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rules = await db.AlertRules.AsNoTracking().Where(r => r.Kind == AlertRuleKinds.QueueAge).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var rule in rules)
        {
            // the (owner, status, created_at) index answers it
            var oldest = await db.Runs
                .Where(r => r.OwnerId == rule.OwnerId && r.Status == RunStatus.Queued && (rule.WorkflowId == null || r.WorkflowId == rule.WorkflowId))
                .OrderBy(r => r.CreatedAt).Select(r => (DateTimeOffset?)r.CreatedAt).FirstOrDefaultAsync(cancellationToken);
            var age = oldest is { } created ? (int)(now - created).TotalSeconds : 0;
            var scope = rule.WorkflowId is null ? "your queue" : $"the queue of '{rule.WorkflowId}'";
            var signal = new AlertSignal(rule.OwnerId, rule.WorkflowId ?? "", null, null, TimeSpan.Zero, null, false, null);
            await ApplyAsync(db, rule, "queue", age > rule.Threshold, increment: false, signal,
                "Runs waiting too long", $"The oldest queued run in {scope} has waited {age} s, more than {rule.Threshold} s.",
                "Queue recovered", $"No run in {scope} waits longer than {rule.Threshold} s any more.", cancellationToken);
        }
    }

    /// <summary>Moves the rule's state for <paramref name="subject"/>; an alert is written only when it starts or stops firing.</summary>
    private async Task ApplyAsync(
        AppDbContext db, AlertRule rule, string subject, bool bad, bool increment, AlertSignal signal,
        string firingTitle, string firingMessage, string resolvedTitle, string resolvedMessage, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var state = await db.AlertStates.SingleOrDefaultAsync(s => s.RuleId == rule.Id && s.Subject == subject, cancellationToken);
        if (state is null)
        {
            if (!bad)
            {
                return; // healthy and never alerted: nothing to remember
            }
            state = new AlertState { RuleId = rule.Id, Subject = subject, ChangedAt = now };
            db.AlertStates.Add(state);
        }
        state.Count = bad ? state.Count + 1 : 0;
        var shouldFire = bad && (!increment || state.Count >= rule.Threshold);
        AlertEvent? alert = null;
        if (shouldFire && !state.Firing)
        {
            state.Firing = true;
            state.ChangedAt = now;
            alert = NewEvent(rule, "firing", firingTitle, firingMessage, signal, now);
        }
        else if (!bad && state.Firing)
        {
            state.Firing = false;
            state.ChangedAt = now;
            alert = NewEvent(rule, "resolved", resolvedTitle, resolvedMessage, signal, now);
        }
        if (alert is not null)
        {
            db.AlertEvents.Add(alert);
        }
        await db.SaveChangesAsync(cancellationToken);
        if (alert is { Status: AlertEventStatus.Pending })
        {
            delivery.Wake();
        }
    }

    private AlertEvent NewEvent(AlertRule rule, string kind, string title, string message, AlertSignal signal, DateTimeOffset now)
    {
        var allowed = limit.TryTake(rule.ChannelId, now);
        return new AlertEvent
        {
            OwnerId = rule.OwnerId, ChannelId = rule.ChannelId, RuleId = rule.Id, Kind = kind, Title = Cut(title, 300), Message = Cut(message, 4000),
            WorkflowId = signal.WorkflowId.Length > 0 ? signal.WorkflowId : null, RunId = signal.RunId,
            Status = allowed ? AlertEventStatus.Pending : AlertEventStatus.Suppressed,
            LastError = allowed ? null : $"not sent: over the channel's limit of {options.Value.MaxPerChannelPerMinute} alerts a minute (Alerts__MaxPerChannelPerMinute)",
            CreatedAt = now, NextAttemptAt = allowed ? now : null,
        };
    }

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}

/// <summary>At most <c>Alerts:MaxPerChannelPerMinute</c> alerts per channel in any minute: no storm when a thousand runs fail.</summary>
internal sealed class AlertRateLimit(IOptions<AlertOptions> options)
{
    private readonly Dictionary<long, Queue<DateTimeOffset>> _sent = [];

    public bool TryTake(long channelId, DateTimeOffset now)
    {
        lock (_sent)
        {
            if (!_sent.TryGetValue(channelId, out var times))
            {
                _sent[channelId] = times = new Queue<DateTimeOffset>();
            }
            while (times.Count > 0 && times.Peek() <= now - TimeSpan.FromMinutes(1))
            {
                times.Dequeue();
            }
            if (times.Count >= options.Value.MaxPerChannelPerMinute)
            {
                return false;
            }
            times.Enqueue(now);
            return true;
        }
    }
}
