using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pins;

/// <summary>
/// A single-step run asked for: the new run's id, or why it was refused (the field, <c>from_run</c> or <c>step_id</c>,
/// and a sentence); <see cref="NotFound"/> when the workflow or the step does not exist.
/// </summary>
public sealed record StepRunResult(string? RunId, string? Field = null, string? Problem = null, bool NotFound = false)
{
    internal static StepRunResult Refused(string field, string problem, bool notFound = false) => new(null, field, problem, notFound);
}

/// <summary>
/// "Run this step": a test run (<see cref="RunOrigin.Test"/>) of the workflow's current version that calls one step
/// alone. Before the worker claims it, every other step is stored as finished, as resume does: the steps that
/// succeeded in the chosen past run with their recorded outputs, all the others as skipped, so only the chosen
/// step is called. The run's inputs are the past run's.
/// </summary>
public sealed class StepRuns(IDbContextFactory<AppDbContext> dbs, WorkflowVersionCache versions, RunWriter writer, RunSignal signal, Audit.AuditLog audit, TimeProvider time)
{
    public async Task<StepRunResult> RunAsync(string ownerId, string workflowId, string stepId, string fromRunId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var current = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.Record!.OwnerId == ownerId && v.Record.WorkflowId == workflowId && v.Record.DeletedAt == null && v.Number == v.Record.CurrentVersion)
            .Select(v => new { v.Id, v.WorkflowRecordId, v.Number, v.Definition })
            .FirstOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return StepRunResult.Refused("workflow_id", $"there is no workflow '{workflowId}'.", notFound: true);
        }
        var workflow = versions.GetOrParse(current.Id, current.Definition);
        var index = workflow.Steps.ToList().FindIndex(s => s.StepId == stepId);
        if (index < 0)
        {
            return StepRunResult.Refused("step_id",
                $"workflow '{workflowId}' has no step '{stepId}' (its steps: {string.Join(", ", workflow.Steps.Select(s => s.StepId))}).", notFound: true);
        }

        var past = await db.Runs.AsNoTracking()
            .Where(r => r.Id == fromRunId && r.OwnerId == ownerId && r.WorkflowRecordId == current.WorkflowRecordId)
            .Select(r => new { r.Id, r.Inputs })
            .FirstOrDefaultAsync(cancellationToken);
        if (past is null)
        {
            return StepRunResult.Refused("from_run", $"there is no run '{fromRunId}' of workflow '{workflowId}'; pick one of its runs in Logs.");
        }
        var recorded = (await db.StepsOf(past.Id).AsNoTracking().ToListAsync(cancellationToken))
            .ToDictionary(s => s.StepId, StringComparer.Ordinal);
        RunStep? Usable(string id) =>
            recorded.GetValueOrDefault(id) is { Status: StepStatus.Succeeded, OutputBytes: null } step ? step : null;

        var chosen = workflow.Steps[index];
        foreach (var read in ReadSteps(workflow, index))
        {
            if (Usable(read) is null)
            {
                var why = recorded.GetValueOrDefault(read) switch
                {
                    null => "did not run",
                    { Status: StepStatus.Succeeded } => "has an output that was cut for storage (Retention:MaxOutputBytes)",
                    var other => WorkflowResultJson.StatusName(other.Status),
                };
                return StepRunResult.Refused("from_run",
                    $"step '{stepId}' reads the output of step '{read}', which {why} in run '{fromRunId}'; pick a run where '{read}' succeeded.");
            }
        }

        var now = time.GetUtcNow();
        var finished = new List<StepRecord>(workflow.Steps.Count - 1);
        for (var i = 0; i < workflow.Steps.Count; i++)
        {
            var other = workflow.Steps[i];
            if (i == index)
            {
                continue;
            }
            var reuse = i < index ? Usable(other.StepId) : null;
            finished.Add(reuse is not null
                ? new StepRecord
                {
                    StepId = other.StepId, Index = i, Status = StepStatus.Succeeded, Output = reuse.Output is null ? null : JsonNode.Parse(reuse.Output),
                    Attempts = 0, DurationMs = 0, StartedAt = now, FinishedAt = now,
                }
                : new StepRecord
                {
                    StepId = other.StepId, Index = i, Status = StepStatus.Skipped, Attempts = 0, StartedAt = now, FinishedAt = now,
                    Error = $"not run: this test run ran step '{chosen.StepId}' alone",
                });
        }

        var run = new Run
        {
            Id = Guid.CreateVersion7(now).ToString(),
            OwnerId = ownerId,
            WorkflowRecordId = current.WorkflowRecordId,
            WorkflowVersionId = current.Id,
            WorkflowId = workflowId,
            WorkflowVersionNumber = current.Number,
            Status = RunStatus.Queued,
            Origin = RunOrigin.Test,
            Inputs = past.Inputs,
            CreatedAt = now,
        };
        // the run and its finished steps in one write: the worker never sees the run without them
        await writer.InsertRunAsync(run, finished, audit.RunStarted(run, $"step {stepId} alone, inputs of run {fromRunId}"));
        signal.Wake();
        return new StepRunResult(run.Id);
    }

    /// <summary>The earlier steps whose output the step's parameters or <c>for_each</c> read.</summary>
    private static HashSet<string> ReadSteps(Engine.Workflows.Workflow workflow, int index)
    {
        var step = workflow.Steps[index];
        var earlier = workflow.Steps.Take(index).Select(s => s.StepId).ToHashSet(StringComparer.Ordinal);
        var read = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, reference) in Template.FindReferences(step.Parameters, "").Concat(Template.FindReferences(step.ForEach, "")))
        {
            var name = reference.Name.EndsWith("_output", StringComparison.Ordinal) ? reference.Name[..^"_output".Length] : reference.Name;
            if (earlier.Contains(name))
            {
                read.Add(name);
            }
        }
        return read;
    }
}
