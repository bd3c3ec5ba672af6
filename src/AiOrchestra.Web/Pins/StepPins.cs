using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Audit;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Pins;

/// <summary>A pinned output as shown: the step, its output, where it came from, when and by whom.</summary>
public sealed record PinView(string StepId, JsonNode? Output, string? FromRunId, DateTimeOffset PinnedAt, string? PinnedBy);

/// <summary>
/// Either the pin as saved, or why it was refused: the field (<c>output</c>, <c>from_run</c>, <c>step_id</c>) and a
/// sentence; <see cref="NotFound"/> when the workflow, step or run does not exist.
/// </summary>
public sealed record PinResult(PinView? Pin, string? Field = null, string? Problem = null, bool NotFound = false)
{
    internal static PinResult Refused(string field, string problem, bool notFound = false) => new(null, field, problem, notFound);
}

/// <summary>
/// The pinned step outputs of a user's workflows: typed as JSON or taken from a past run's step. Only test runs
/// (<see cref="RunOrigin.Test"/>) read them.
/// </summary>
public sealed class StepPins(IDbContextFactory<AppDbContext> dbs, IOptions<RunOptions> runOptions, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<PinView>?> ListAsync(string ownerId, string workflowId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var recordId = await RecordIdAsync(db, ownerId, workflowId, cancellationToken);
        if (recordId is null)
        {
            return null;
        }
        var pins = await db.StepPins.AsNoTracking().Where(p => p.WorkflowRecordId == recordId).OrderBy(p => p.StepId).ToListAsync(cancellationToken);
        return pins.Select(View).ToList();
    }

    /// <summary>Pins <paramref name="json"/> (typed by a person) as the output of the workflow's step.</summary>
    public Task<PinResult> PinJsonAsync(string ownerId, string workflowId, string stepId, string json, CancellationToken cancellationToken)
    {
        JsonNode? output;
        try
        {
            output = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            return Task.FromResult(PinResult.Refused("output",
                $"this is not valid JSON ({e.Message}); write a JSON value: text in double quotes, a number, an object or a list"));
        }
        return PinAsync(ownerId, workflowId, stepId, output, null, cancellationToken);
    }

    /// <summary>Pins <paramref name="output"/> (a JSON value sent through the API) as the output of the workflow's step.</summary>
    public Task<PinResult> PinValueAsync(string ownerId, string workflowId, string stepId, JsonNode? output, CancellationToken cancellationToken) =>
        PinAsync(ownerId, workflowId, stepId, output?.DeepClone(), null, cancellationToken);

    /// <summary>Pins the output step <paramref name="stepId"/> had in the owner's run <paramref name="runId"/> (a run of this workflow).</summary>
    public async Task<PinResult> PinFromRunAsync(string ownerId, string workflowId, string stepId, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var step = await db.Runs.AsNoTracking()
            .Where(r => r.Id == runId && r.OwnerId == ownerId && r.WorkflowId == workflowId)
            .SelectMany(r => r.Steps)
            .Where(s => s.StepId == stepId)
            .FirstOrDefaultAsync(cancellationToken);
        if (step is null)
        {
            return PinResult.Refused("from_run", $"run '{runId}' of workflow '{workflowId}' has no step '{stepId}'; pick a run of this workflow from Logs.", notFound: true);
        }
        if (step.Status != StepStatus.Succeeded || step.OutputBytes is not null)
        {
            var why = step.OutputBytes is not null ? "its output was cut for storage (Retention:MaxOutputBytes)" : $"the step {WorkflowResultJson.StatusName(step.Status)}";
            return PinResult.Refused("from_run", $"the output of step '{stepId}' in run '{runId}' cannot be pinned: {why}; pick a run where it succeeded.");
        }
        return await PinAsync(ownerId, workflowId, stepId, step.Output is null ? null : JsonNode.Parse(step.Output), runId, cancellationToken);
    }

    private async Task<PinResult> PinAsync(string ownerId, string workflowId, string stepId, JsonNode? output, string? fromRunId, CancellationToken cancellationToken)
    {
        var text = output?.ToJsonString() ?? "null";
        var limit = runOptions.Value.MaxStepOutputBytes;
        if (System.Text.Encoding.UTF8.GetByteCount(text) > limit)
        {
            return PinResult.Refused("output", $"the pinned output is larger than a step's output may be ({limit / 1024} KB, Runs:MaxStepOutputBytes); pin a smaller value.");
        }
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var current = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.Record!.OwnerId == ownerId && v.Record.WorkflowId == workflowId && v.Record.DeletedAt == null && v.Number == v.Record.CurrentVersion)
            .Select(v => new { v.WorkflowRecordId, v.Definition })
            .FirstOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return PinResult.Refused("workflow_id", $"there is no workflow '{workflowId}'.", notFound: true);
        }
        var workflow = Engine.Workflows.WorkflowJson.Parse(current.Definition).Workflow;
        var steps = workflow?.Steps ?? [];
        if (!steps.Any(s => s.StepId == stepId))
        {
            return PinResult.Refused("step_id", $"workflow '{workflowId}' has no step '{stepId}' (its steps: {string.Join(", ", steps.Select(s => s.StepId))}).", notFound: true);
        }
        // a pin later steps cannot read from would only fail the test run at those steps
        var misfits = Engine.Workflows.WorkflowValidator.OutputPathProblems(workflow!, stepId, output);
        if (misfits.Count > 0)
        {
            return PinResult.Refused("output",
                "the pinned output does not have what later steps read from it: " + string.Join("; ", misfits.Select(m => $"{m.Path}: {m.Message}")) +
                "; pin an output with those fields, or change the steps.");
        }

        var pin = await db.StepPins.FirstOrDefaultAsync(p => p.WorkflowRecordId == current.WorkflowRecordId && p.StepId == stepId, cancellationToken);
        if (pin is null)
        {
            pin = new StepPin { WorkflowRecordId = current.WorkflowRecordId, StepId = stepId, Output = text };
            db.StepPins.Add(pin);
        }
        pin.Output = text;
        pin.FromRunId = fromRunId;
        pin.PinnedAt = time.GetUtcNow();
        pin.PinnedBy = audit.ActorName();
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync("workflow.pinned", workflowId, $"step {stepId}{(fromRunId is null ? "" : $" from run {fromRunId}")}", cancellationToken: cancellationToken);
        return new PinResult(View(pin));
    }

    /// <summary>Removes the step's pin; false when there was none.</summary>
    public async Task<bool> UnpinAsync(string ownerId, string workflowId, string stepId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var recordId = await RecordIdAsync(db, ownerId, workflowId, cancellationToken);
        return recordId is not null
            && await db.StepPins.Where(p => p.WorkflowRecordId == recordId && p.StepId == stepId).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// The pinned outputs a test run of the workflow version starts with, as succeeded steps at their places; pins of
    /// steps the version does not have are left out.
    /// </summary>
    internal static async Task<List<StepRecord>> ForTestRunAsync(
        AppDbContext db, long workflowRecordId, Engine.Workflows.Workflow workflow, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var pins = await db.StepPins.AsNoTracking().Where(p => p.WorkflowRecordId == workflowRecordId).ToListAsync(cancellationToken);
        var records = new List<StepRecord>(pins.Count);
        foreach (var pin in pins)
        {
            var index = workflow.Steps.ToList().FindIndex(s => s.StepId == pin.StepId);
            if (index >= 0)
            {
                records.Add(new StepRecord
                {
                    StepId = pin.StepId, Index = index, Status = StepStatus.Succeeded, Output = JsonNode.Parse(pin.Output),
                    Attempts = 0, DurationMs = 0, StartedAt = now, FinishedAt = now,
                });
            }
        }
        return records;
    }

    private static Task<long?> RecordIdAsync(AppDbContext db, string ownerId, string workflowId, CancellationToken cancellationToken) =>
        db.Workflows.AsNoTracking().Where(w => w.OwnerId == ownerId && w.WorkflowId == workflowId && w.DeletedAt == null)
            .Select(w => (long?)w.Id).FirstOrDefaultAsync(cancellationToken);

    private static PinView View(StepPin pin) => new(pin.StepId, JsonNode.Parse(pin.Output), pin.FromRunId, pin.PinnedAt, pin.PinnedBy);
}
