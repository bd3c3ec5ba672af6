using AiOrchestra.Web.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Triggers;

/// <summary>
/// Runs poll triggers: on each trigger's interval, calls its step action, compares the ids of the list it returns
/// with the cursor of ids seen (stored per trigger), and starts a run per new item or one for the batch. The first
/// poll only records the baseline; a failed poll is recorded on the trigger with its reason.
/// </summary>
public sealed partial class TriggerPoller(
    IDbContextFactory<AppDbContext> dbs, TriggerWorkflows workflows, StepCatalog catalog, RunQueue queue,
    OperationMetrics metrics, Alerts.AlertSignals alerts, TimeProvider time, ILogger<TriggerPoller> logger) : BackgroundService
{
    /// <summary>Ids remembered per trigger; a source lists its newest items, so older ids never come back.</summary>
    public const int MaxSeenIds = 2000;

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _pass = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollDueAsync(stoppingToken);
                await Task.Delay(Tick, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogPassFailed(e);
                await Task.Delay(Tick, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Polls every trigger whose interval has passed.</summary>
    public async Task PollDueAsync(CancellationToken cancellationToken)
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
        var due = await db.TriggerStates.AsNoTracking()
            .Where(t => t.Type == "poll" && t.Enabled && t.NextDueAt != null && t.NextDueAt <= now)
            .OrderBy(t => t.NextDueAt)
            .Take(100)
            .ToListAsync(cancellationToken);
        foreach (var state in due)
        {
            await PollAsync(db, state, now, cancellationToken);
        }
    }

    private async Task PollAsync(AppDbContext db, TriggerState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var found = await workflows.FindAsync(db, state, cancellationToken);
        if (found is not { Workflow: var workflow, Trigger: var trigger })
        {
            await db.TriggerStates.Where(t => t.Id == state.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.NextDueAt, (DateTimeOffset?)null), cancellationToken);
            return;
        }
        // the next poll is booked first: a second pass that read the same row stops here
        var next = now + TimeSpan.FromSeconds(trigger.EverySeconds ?? 60);
        var booked = await db.TriggerStates.Where(t => t.Id == state.Id && t.NextDueAt == state.NextDueAt)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.NextDueAt, next), cancellationToken);
        if (booked == 0)
        {
            return;
        }

        List<(string Id, JsonNode? Item)> items;
        try
        {
            items = await ListAsync(workflow, trigger, state, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = e switch
            {
                OperationCanceledException => $"the source did not answer within {PollTimeout.TotalSeconds:0} seconds",
                StepFailedException or TemplateException or PollException => e.Message,
                JsonException => $"{trigger.StepType}.{trigger.Action} answered something that is not the expected JSON ({e.Message})",
                _ => $"{e.GetType().Name}: {e.Message}",
            };
            LogPollFailed(state.WorkflowId, state.TriggerId, reason);
            metrics.TriggerFired("poll", state.WorkflowId, started: false);
            alerts.TriggerFired(state.OwnerId, state.WorkflowId, state.TriggerId, ok: false, "poll failed: " + reason);
            await db.TriggerStates.Where(t => t.Id == state.Id).ExecuteUpdateAsync(s => s
                .SetProperty(t => t.LastError, "poll failed: " + reason).SetProperty(t => t.LastErrorAt, now), cancellationToken);
            return;
        }

        var seen = state.Cursor is null ? null : JsonSerializer.Deserialize<List<string>>(state.Cursor) ?? [];
        if (seen is null)
        {
            // the first poll: what is there now is the baseline, not news
            await SaveCursorAsync(db, state.Id, items.Select(i => i.Id), null, null, cancellationToken);
            return;
        }
        var known = seen.ToHashSet(StringComparer.Ordinal);
        var fresh = items.Where(i => known.Add(i.Id)).ToList();
        if (fresh.Count == 0)
        {
            alerts.TriggerFired(state.OwnerId, state.WorkflowId, state.TriggerId, ok: true);
            await ClearErrorAsync(db, state, cancellationToken);
            return;
        }
        if (fresh.Count > trigger.MaxItems)
        {
            LogCapped(state.WorkflowId, state.TriggerId, fresh.Count, trigger.MaxItems);
            // the rest stay unseen and come with the next poll
            fresh = fresh.Take(trigger.MaxItems).ToList();
        }
        // sources list newest first: start the oldest first
        fresh.Reverse();
        string? lastRun = null;
        var started = new List<string>();
        foreach (var batch in trigger.Mode == PollMode.Batch ? [fresh] : fresh.Select(f => new List<(string, JsonNode?)> { f }))
        {
            var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            foreach (var (name, value) in trigger.Variables)
            {
                inputs[name] = value?.DeepClone();
            }
            inputs[WorkflowTrigger.Variable] = trigger.Mode == PollMode.Batch
                ? new JsonObject { ["items"] = new JsonArray(batch.Select(b => b.Item2?.DeepClone()).ToArray()) }
                : new JsonObject { ["item"] = batch[0].Item2?.DeepClone() };
            EnqueueResult queued;
            using (RunTracing.StartTrigger("poll", state.WorkflowId, state.TriggerId))
            {
                queued = await queue.EnqueueAsync(state.OwnerId, state.WorkflowId, inputs, RunOrigin.Poll(state.TriggerId), cancellationToken);
            }
            metrics.TriggerFired("poll", state.WorkflowId, queued.Succeeded);
            alerts.TriggerFired(state.OwnerId, state.WorkflowId, state.TriggerId, queued.Succeeded, string.Join(" ", queued.Errors));
            if (!queued.Succeeded)
            {
                var error = "the run was not started: " + string.Join(" ", queued.Errors);
                LogPollFailed(state.WorkflowId, state.TriggerId, error);
                await SaveCursorAsync(db, state.Id, seen.Concat(started), lastRun, (error, now), cancellationToken);
                return;
            }
            lastRun = queued.RunId;
            started.AddRange(batch.Select(b => b.Item1));
        }
        await SaveCursorAsync(db, state.Id, seen.Concat(started), lastRun, null, cancellationToken);
    }

    private async Task<List<(string Id, JsonNode? Item)>> ListAsync(Workflow workflow, WorkflowTrigger trigger, TriggerState state, CancellationToken cancellationToken)
    {
        var stepType = catalog.Find(trigger.StepType ?? "") ?? throw new PollException($"step type '{trigger.StepType}' is not installed");
        var scope = new Dictionary<string, JsonNode?>(workflow.Variables, StringComparer.Ordinal);
        var parameters = new JsonObject();
        foreach (var (name, value) in trigger.Parameters)
        {
            parameters[name] = Template.RenderNode(value, scope);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PollTimeout);
        var context = new StepContext { RunId = "poll:" + state.Id, StepId = trigger.TriggerId, Attempt = 1, OwnerId = state.OwnerId };
        var output = await stepType.ExecuteAsync(new StepCall(trigger.Action ?? "", parameters, context), timeout.Token);
        // an http step answers {status, headers, body, json}: its list is the JSON body
        var list = output as JsonArray ?? (output as JsonObject)?["json"] as JsonArray
            ?? throw new PollException($"{trigger.StepType}.{trigger.Action} returned {Describe(output)}, not a list; a poll needs an action that returns a JSON array");
        var items = new List<(string, JsonNode?)>(list.Count);
        for (var index = 0; index < list.Count; index++)
        {
            var id = (list[index] as JsonObject)?[trigger.ItemId];
            if (id is null)
            {
                throw new PollException($"item [{index}] of the list has no '{trigger.ItemId}' field; set item_id to the field that identifies an item");
            }
            items.Add((id is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : id.ToJsonString(), list[index]));
        }
        return items;
    }

    private async Task SaveCursorAsync(
        AppDbContext db, long stateId, IEnumerable<string> ids, string? lastRun, (string Error, DateTimeOffset At)? failure, CancellationToken cancellationToken)
    {
        var firedAt = time.GetUtcNow();
        var all = ids.ToList();
        var cursor = JsonSerializer.Serialize(all.Count > MaxSeenIds ? all[^MaxSeenIds..] : all);
        var now = failure?.At;
        if (lastRun is null)
        {
            await db.TriggerStates.Where(t => t.Id == stateId).ExecuteUpdateAsync(s => s
                .SetProperty(t => t.Cursor, cursor).SetProperty(t => t.LastError, failure == null ? null : failure.Value.Error)
                .SetProperty(t => t.LastErrorAt, now), cancellationToken);
            return;
        }
        await db.TriggerStates.Where(t => t.Id == stateId).ExecuteUpdateAsync(s => s
            .SetProperty(t => t.Cursor, cursor).SetProperty(t => t.LastRunId, lastRun).SetProperty(t => t.LastFiredAt, firedAt)
            .SetProperty(t => t.LastError, failure == null ? null : failure.Value.Error).SetProperty(t => t.LastErrorAt, now), cancellationToken);
    }

    private static Task ClearErrorAsync(AppDbContext db, TriggerState state, CancellationToken cancellationToken) =>
        state.LastError is null
            ? Task.CompletedTask
            : db.TriggerStates.Where(t => t.Id == state.Id).ExecuteUpdateAsync(s => s
                .SetProperty(t => t.LastError, (string?)null).SetProperty(t => t.LastErrorAt, (DateTimeOffset?)null), cancellationToken);

    private static string Describe(JsonNode? node) => node switch
    {
        null => "nothing",
        JsonObject => "an object",
        _ => "a " + node.GetValueKind().ToString().ToLowerInvariant(),
    };

    private sealed class PollException(string message) : Exception(message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll {WorkflowId}/{TriggerId} failed: {Reason}")]
    private partial void LogPollFailed(string workflowId, string triggerId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll {WorkflowId}/{TriggerId} found {Count} new items, over its max_items of {Max}: runs were started for {Max}, the rest wait for the next poll")]
    private partial void LogCapped(string workflowId, string triggerId, int count, int max);

    [LoggerMessage(Level = LogLevel.Error, Message = "A pass of the poller failed; trying again")]
    private partial void LogPassFailed(Exception e);
}
