using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Starts and cancels runs. A run is a committed row (<c>queued</c>) before <see cref="EnqueueAsync"/> returns;
/// the worker is only woken, the database is what it reads.
/// </summary>
public sealed class RunQueue(
    IDbContextFactory<AppDbContext> dbs,
    RunWriter writer,
    CurrentVersions currentVersions,
    WorkflowVersionCache versions,
    RunEvents events,
    RunSignal signal,
    RunCancellations cancellations,
    Audit.AuditLog audit,
    IServiceProvider services,
    TimeProvider time)
{
    private const int MaxInputBytes = 1024 * 1024;

    /// <summary>
    /// Queues a run of the owner's workflow (its current version) with <paramref name="inputs"/> overriding the
    /// workflow's variables, recording <paramref name="origin"/> (a <see cref="RunOrigin"/>) as what started it.
    /// Returns the run id once the run is stored, or the errors (nothing stored then).
    /// </summary>
    public async Task<EnqueueResult> EnqueueAsync(
        string ownerId, string workflowId, IReadOnlyDictionary<string, JsonNode?> inputs, string origin, CancellationToken cancellationToken) =>
        (await EnqueueAsync(ownerId, workflowId, inputs, origin, watch: false, cancellationToken)).Result;

    /// <summary>As the overload with an origin, for a run started through the API.</summary>
    public Task<EnqueueResult> EnqueueAsync(
        string ownerId, string workflowId, IReadOnlyDictionary<string, JsonNode?> inputs, CancellationToken cancellationToken) =>
        EnqueueAsync(ownerId, workflowId, inputs, RunOrigin.Api, cancellationToken);

    /// <summary>
    /// As <see cref="EnqueueAsync(string, string, IReadOnlyDictionary{string, JsonNode?}, CancellationToken)"/>, for a
    /// caller that waits for the run's result: it is subscribed to the run's events before the run is stored (see
    /// <see cref="RunEvents.WatchNew"/>). The watch is null when the run was not queued; the caller disposes it.
    /// </summary>
    internal Task<(EnqueueResult Result, RunWatch? Watch)> EnqueueAndWatchAsync(
        string ownerId, string workflowId, IReadOnlyDictionary<string, JsonNode?> inputs, string origin, CancellationToken cancellationToken) =>
        EnqueueAsync(ownerId, workflowId, inputs, origin, watch: true, cancellationToken);

    /// <summary>A re-run (<see cref="RunOrigin.Rerun"/>) of the owner's run <paramref name="rerunOf"/>, which the audit log names.</summary>
    internal async Task<EnqueueResult> EnqueueRerunAsync(
        string ownerId, string workflowId, IReadOnlyDictionary<string, JsonNode?> inputs, string rerunOf, CancellationToken cancellationToken) =>
        (await EnqueueAsync(ownerId, workflowId, inputs, RunOrigin.Rerun, watch: false, cancellationToken, $"re-run of {rerunOf}")).Result;

    /// <summary>
    /// Queues a test run (<see cref="RunOrigin.Test"/>): the workflow's pinned step outputs are recorded as those steps'
    /// results before the run is claimed, so those steps are not called. No other kind of run reads the pins.
    /// </summary>
    internal Task<(EnqueueResult Result, RunWatch? Watch)> EnqueueTestAsync(
        string ownerId, string workflowId, IReadOnlyDictionary<string, JsonNode?> inputs, bool watch, CancellationToken cancellationToken) =>
        EnqueueAsync(ownerId, workflowId, inputs, RunOrigin.Test, watch, cancellationToken);

    /// <summary>
    /// The run the owner's workflow would start with these inputs, not stored yet (its id is known), or the errors
    /// why it cannot start, with a test run's pinned steps. A failure handler's run is stored in the same write as the
    /// failed run's end.
    /// </summary>
    internal async Task<(EnqueueResult Result, Run? Run, List<Engine.Execution.StepRecord>? Pinned)> PrepareAsync(
        string ownerId, string workflowId, IReadOnlyDictionary<string, JsonNode?> inputs, string origin, CancellationToken cancellationToken)
    {
        List<Engine.Execution.StepRecord>? pinned = null;
        var current = await currentVersions.FindAsync(ownerId, workflowId, cancellationToken);
        if (current is null)
        {
            return (new EnqueueResult
            {
                WorkflowNotFound = true,
                Errors = [new ValidationError("workflow_id", $"there is no workflow '{workflowId}'; save it first or check the id.")],
            }, null, null);
        }
        // a version already parsed (nearly every run) needs no context at all
        var parsed = versions.TryGet(current.VersionId, out var workflow);
        if (!parsed || origin == RunOrigin.Test)
        {
            await using var db = await dbs.CreateDbContextAsync(cancellationToken);
            if (!parsed)
            {
                var definition = await db.WorkflowVersions.AsNoTracking()
                    .Where(v => v.Id == current.VersionId).Select(v => v.Definition).SingleAsync(cancellationToken);
                workflow = versions.GetOrParse(current.VersionId, definition);
            }
            if (origin == RunOrigin.Test)
            {
                pinned = await Pins.StepPins.ForTestRunAsync(db, current.RecordId, workflow, time.GetUtcNow(), cancellationToken);
            }
        }

        var inputsJson = new JsonObject();
        foreach (var (name, value) in inputs)
        {
            inputsJson[name] = value?.DeepClone();
        }
        var text = inputsJson.ToJsonString();
        // a form offers only the declared variables (and a rerun finds out that one has gone); scripts, as the original
        // AI-Orchestra's execute did, and triggers may pass any
        var errors = ValidateInputs(workflow, inputs, text.Length, acceptUndeclared: origin is not (RunOrigin.Manual or RunOrigin.Rerun));
        if (errors.Count > 0)
        {
            return (new EnqueueResult { Errors = errors }, null, null);
        }

        var run = new Run
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()).ToString(),
            OwnerId = ownerId,
            WorkflowRecordId = current.RecordId,
            WorkflowVersionId = current.VersionId,
            WorkflowId = workflowId,
            WorkflowVersionNumber = current.Number,
            Status = RunStatus.Queued,
            Origin = origin,
            Inputs = text,
            CreatedAt = time.GetUtcNow(),
        };
        return (new EnqueueResult { RunId = run.Id, Version = current.Number }, run, pinned);
    }

    private async Task<(EnqueueResult Result, RunWatch? Watch)> EnqueueAsync(
        string ownerId, string workflowId, IReadOnlyDictionary<string, JsonNode?> inputs, string origin, bool watch,
        CancellationToken cancellationToken, string? auditNote = null)
    {
        var (result, run, pinned) = await PrepareAsync(ownerId, workflowId, inputs, origin, cancellationToken);
        if (run is null)
        {
            return (result, null);
        }

        // the run's trace starts here, linked to the request or trigger that asked for it
        using var queuedSpan = Metrics.RunTracing.StartQueued(workflowId, origin);
        run.TraceParent = queuedSpan?.Id;
        queuedSpan?.SetTag("aiorchestra.run.id", run.Id);
        var watching = watch ? events.WatchNew(run.Id) : null;
        try
        {
            // once handed to the writer the run will exist: wait for the commit even if the caller gives up
            // a run started by hand is audited in the run's own write: one commit, as before
            await writer.InsertRunAsync(run, pinned, audit.RunStarted(run, auditNote));
        }
        catch
        {
            watching?.Dispose();
            throw;
        }
        signal.Wake();
        return (result, watching);
    }

    /// <summary>
    /// Cancels the owner's run: a queued run is cancelled at once; a running one has its step in flight aborted
    /// and ends as cancelled.
    /// </summary>
    public async Task<CancelResult> CancelAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = await writer.CancelAsync(ownerId, runId, time.GetUtcNow());
        switch (result)
        {
            case CancelResult.Cancelled:
                events.PublishCancelledBeforeStart(runId);
                break;
            case CancelResult.CancelRequested:
                cancellations.Cancel(runId);
                // on PostgreSQL the run may execute on another process
                if (services.GetService<Data.Postgres.PostgresNotifications>() is { } notifications)
                {
                    await notifications.CancelAsync(runId, cancellationToken);
                }
                break;
        }
        return result;
    }

    /// <summary>The validator's checks (declared names, sizes, depth) and the size of the whole inputs document.</summary>
    internal static IReadOnlyList<ValidationError> ValidateInputs(
        Workflow workflow, IReadOnlyDictionary<string, JsonNode?> inputs, int jsonLength, bool acceptUndeclared = false)
    {
        var errors = WorkflowValidator.ValidateInputs(workflow, inputs, acceptUndeclared).ToList();
        if (jsonLength > MaxInputBytes)
        {
            errors.Add(new ValidationError("variables", $"the inputs are {jsonLength / 1024} KB; at most {MaxInputBytes / 1024} KB are accepted."));
        }
        return errors;
    }

}
