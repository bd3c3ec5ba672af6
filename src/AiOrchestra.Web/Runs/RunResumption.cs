using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Whether a run can be resumed and from which step. <see cref="Refusal"/> is a sentence saying why not; otherwise
/// the new run executes the workflow's current version from <see cref="FromStepId"/> on.
/// </summary>
public sealed record ResumePlan
{
    public string? Refusal { get; init; }
    public string FromStepId { get; init; } = "";
    public int FromIndex { get; init; }
    public int VersionNumber { get; init; }

    public bool CanResume => Refusal is null;
}

/// <summary>A resume asked for: the new run, or the refusal, or no such run (404).</summary>
public sealed record ResumeResult(bool Found, ResumePlan? Plan, string? RunId);

/// <summary>
/// Resumes a failed or cancelled run: a new run, linked to it, starts with copies of its succeeded (and skipped) steps
/// and of the finished items of its loops, so the worker binds their recorded outputs and calls only the failed step
/// and those after it. It executes the workflow's current version: the one the run used, or a later one whose steps
/// before the failed step are unchanged (a changed earlier step would not have given the outputs being reused).
/// </summary>
public sealed class RunResumption(IDbContextFactory<AppDbContext> dbs, RunSignal signal, Audit.AuditLog audit, TimeProvider time)
{
    public async Task<ResumePlan?> PlanAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        return (await LoadAsync(db, ownerId, runId, cancellationToken))?.Plan;
    }

    public async Task<ResumeResult> ResumeAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var loaded = await LoadAsync(db, ownerId, runId, cancellationToken);
        if (loaded is null)
        {
            return new(false, null, null);
        }
        if (!loaded.Plan.CanResume)
        {
            return new(true, loaded.Plan, null);
        }

        var original = loaded.Run;
        var now = time.GetUtcNow();
        var resumed = new Run
        {
            Id = Guid.CreateVersion7(now).ToString(),
            OwnerId = ownerId,
            WorkflowRecordId = original.WorkflowRecordId,
            WorkflowVersionId = loaded.VersionId,
            WorkflowId = original.WorkflowId,
            WorkflowVersionNumber = loaded.Plan.VersionNumber,
            Status = RunStatus.Queued,
            Origin = RunOrigin.Resume,
            Inputs = original.Inputs,
            ResumedFromRunId = original.Id,
            CreatedAt = now,
        };
        db.Runs.Add(resumed);
        foreach (var step in loaded.ReusedSteps)
        {
            // through the run: its key is known once it is inserted
            resumed.Steps.Add(new RunStep
            {
                Index = step.Index, StepId = step.StepId, Status = step.Status, Output = step.Output, Error = step.Error,
                Attempts = step.Attempts, DurationMs = step.DurationMs, PromptTokens = step.PromptTokens, CompletionTokens = step.CompletionTokens,
                StartedAt = step.StartedAt, FinishedAt = step.FinishedAt, Ledger = step.Ledger,
            });
        }
        var items = await db.RunStepItems.AsNoTracking()
            .Where(i => i.RunId == original.Id && i.Status == StepStatus.Succeeded)
            .ToListAsync(cancellationToken);
        foreach (var item in items.Where(i => loaded.ItemsReusable(i.StepIndex)))
        {
            db.RunStepItems.Add(new RunStepItem
            {
                RunId = resumed.Id, StepIndex = item.StepIndex, ItemIndex = item.ItemIndex, StepId = item.StepId, Status = item.Status,
                Output = item.Output, Error = item.Error, Attempts = item.Attempts, DurationMs = item.DurationMs,
                StartedAt = item.StartedAt, FinishedAt = item.FinishedAt,
            });
        }
        if (audit.RunStarted(resumed, $"resumes run {original.Id}") is { } entry)
        {
            db.AuditEntries.Add(entry);
        }
        // the run, its copied steps and its audit entry in one transaction: the worker never sees the run without them
        await db.SaveChangesAsync(cancellationToken);
        signal.Wake();
        return new(true, loaded.Plan, resumed.Id);
    }

    /// <summary>The runs that resumed this one, oldest first.</summary>
    public async Task<IReadOnlyList<string>> ResumedByAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        return await db.Runs.AsNoTracking()
            .Where(r => r.ResumedFromRunId == runId && r.OwnerId == ownerId)
            .OrderBy(r => r.Id).Select(r => r.Id).ToListAsync(cancellationToken);
    }

    private sealed record Loaded(Run Run, ResumePlan Plan, long VersionId, IReadOnlyList<RunStep> ReusedSteps, Func<int, bool> ItemsReusable);

    private static async Task<Loaded?> LoadAsync(AppDbContext db, string ownerId, string runId, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId && r.OwnerId == ownerId, cancellationToken);
        if (run is null)
        {
            return null;
        }
        Loaded Refused(string reason) => new(run, new ResumePlan { Refusal = reason }, 0, [], _ => false);

        switch (run.Status)
        {
            case RunStatus.Succeeded:
                return Refused("This run succeeded: there is no failed step to resume from. Run it again instead.");
            case not (RunStatus.Failed or RunStatus.Cancelled):
                return Refused($"This run is {run.Status.ToText()}: only a failed or cancelled run can be resumed, once it has ended.");
        }
        var workflow = await db.Workflows.AsNoTracking()
            .Where(w => w.Id == run.WorkflowRecordId)
            .Select(w => new { w.DeletedAt, w.CurrentVersion })
            .FirstOrDefaultAsync(cancellationToken);
        if (workflow is null || workflow.DeletedAt is not null)
        {
            return Refused($"The workflow '{run.WorkflowId}' was deleted after this run: there is nothing left to resume it with.");
        }
        var used = await db.WorkflowVersions.AsNoTracking().Where(v => v.Id == run.WorkflowVersionId).Select(v => v.Definition).FirstAsync(cancellationToken);
        var current = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.WorkflowRecordId == run.WorkflowRecordId && v.Number == workflow.CurrentVersion)
            .Select(v => new { v.Id, v.Number, v.Definition })
            .FirstAsync(cancellationToken);
        var usedSteps = Steps(used);
        var currentSteps = current.Id == run.WorkflowVersionId ? usedSteps : Steps(current.Definition);

        var recorded = await db.StepsOf(run.Id).AsNoTracking().OrderBy(s => s.Index).ToListAsync(cancellationToken);
        var done = recorded.Where(s => s.Status is StepStatus.Succeeded or StepStatus.Skipped).ToList();
        var doneIds = done.Select(s => s.StepId).ToHashSet(StringComparer.Ordinal);
        var from = Enumerable.Range(0, usedSteps.Count).FirstOrDefault(i => !doneIds.Contains(StepId(usedSteps[i])), -1);
        if (from < 0)
        {
            return Refused("Every step of this run succeeded or was skipped: there is no step to resume from. Run it again instead.");
        }
        var fromId = StepId(usedSteps[from]);

        bool Unchanged(int index) =>
            index < usedSteps.Count && index < currentSteps.Count && JsonNode.DeepEquals(usedSteps[index], currentSteps[index]);
        if (current.Id != run.WorkflowVersionId)
        {
            for (var i = 0; i < from; i++)
            {
                if (!Unchanged(i))
                {
                    return Refused(
                        $"Step '{StepId(usedSteps[i])}' (step {i + 1}) changed in version {current.Number} after version {run.WorkflowVersionNumber}, " +
                        $"which this run used: the outputs recorded before '{fromId}' may not be what the workflow gives now. Run it again instead, " +
                        "or undo that change to resume.");
                }
            }
        }
        var sameVersion = current.Id == run.WorkflowVersionId;
        // on the same version every succeeded step is reused (parallel branches past the failed step too); on a later
        // version only the unchanged ones before it
        var reused = sameVersion ? done : done.Where(s => s.Index < from).ToList();
        var plan = new ResumePlan { FromStepId = fromId, FromIndex = from, VersionNumber = current.Number };
        return new(run, plan, current.Id, reused, index => sameVersion || (index == from && Unchanged(from)));
    }

    private static List<JsonNode?> Steps(string definition) =>
        (JsonNode.Parse(definition)?["steps"] as JsonArray)?.ToList() ?? [];

    private static string StepId(JsonNode? step) => (string?)step?["step_id"] ?? "";
}
