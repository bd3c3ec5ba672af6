using AiOrchestra.Web.Audit;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Triggers;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Workflows;

/// <summary>A user's workflows. Every save appends an immutable version; every query is scoped to the owner.</summary>
public sealed class WorkflowStore(
    AppDbContext db, StoreSql sql, WorkflowValidator validator, SubWorkflowCheck subWorkflows, WorkflowVersionCache versions, TriggerStore triggers, TimeProvider time, AuditLog audit)
{

    /// <summary>
    /// Validates and saves <paramref name="workflow"/> as a new version (creating the workflow on its first save).
    /// A workflow with errors is not saved: the errors come back and nothing is written.
    /// </summary>
    public Task<WorkflowSaveResult> SaveAsync(string ownerId, Workflow workflow, CancellationToken cancellationToken) =>
        SaveAsync(ownerId, workflow, SaveMode.CreateOrReplace, null, cancellationToken);

    /// <summary>
    /// As <see cref="SaveAsync(string, Workflow, CancellationToken)"/>, allowing only what <paramref name="mode"/> says
    /// and, when <paramref name="expectedVersion"/> is given, only over that version. Saves of the same workflow at the
    /// same time are taken one after the other: each gets its own new version (the last one is current).
    /// </summary>
    public async Task<WorkflowSaveResult> SaveAsync(
        string ownerId, Workflow workflow, SaveMode mode, int? expectedVersion, CancellationToken cancellationToken)
    {
        var errors = validator.Validate(workflow);
        if (errors.Count == 0)
        {
            errors = await subWorkflows.CheckAsync(db, ownerId, workflow, cancellationToken);
        }
        if (errors.Count > 0)
        {
            return new WorkflowSaveResult(null, errors, SaveOutcome.Invalid);
        }

        try
        {
            // SQLite's BEGIN IMMEDIATE: concurrent saves queue for the write lock here, so reading the current
            // version and writing the next one cannot interleave with another save
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await sql.SerializeAsync(db.Database, $"workflow/{ownerId}/{workflow.WorkflowId}", cancellationToken);
            var now = time.GetUtcNow();
            var record = await db.Workflows.FirstOrDefaultAsync(w => w.OwnerId == ownerId && w.WorkflowId == workflow.WorkflowId, cancellationToken);
            var exists = record is { DeletedAt: null };
            if (mode == SaveMode.Create && exists)
            {
                return WorkflowSaveResult.Refused(SaveOutcome.AlreadyExists);
            }
            if (mode == SaveMode.Replace && !exists)
            {
                return WorkflowSaveResult.Refused(SaveOutcome.NotFound);
            }
            if (expectedVersion is { } expected && exists && record!.CurrentVersion != expected)
            {
                return WorkflowSaveResult.Refused(SaveOutcome.VersionChanged) with { CurrentVersion = record.CurrentVersion };
            }
            if (record is null)
            {
                record = new WorkflowRecord { OwnerId = ownerId, WorkflowId = workflow.WorkflowId, Name = workflow.Name, CreatedAt = now };
                db.Workflows.Add(record);
            }
            else if (record.DeletedAt is not null)
            {
                // saving a deleted workflow's id again brings it back; its version numbers go on
                record.DeletedAt = null;
                record.CreatedAt = now;
            }

            record.Name = workflow.Name;
            record.Description = workflow.Description;
            record.CurrentVersion++;
            record.UpdatedAt = now;
            var version = new WorkflowVersion { Number = record.CurrentVersion, Definition = WorkflowJson.Serialize(workflow, indented: false), SavedAt = now, SavedBy = audit.ActorName() };
            record.Versions.Add(version);

            // the record, its new version and its triggers' rows commit together or not at all
            await db.SaveChangesAsync(cancellationToken);
            await triggers.SyncAsync(db, record, workflow, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            triggers.Changed();
            await audit.WriteAsync("workflow.saved", workflow.WorkflowId, $"version {version.Number}", cancellationToken: cancellationToken);
            return new WorkflowSaveResult(new StoredWorkflow(workflow, version.Number, version.Id, record.CreatedAt, record.UpdatedAt), [], SaveOutcome.Saved);
        }
        catch (DbUpdateException e) when (StoreFailures.IsUniqueViolation(e))
        {
            // another save of the same id committed first (a unique index caught it); nothing of this one was written
            return WorkflowSaveResult.Refused(SaveOutcome.ChangedConcurrently);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>The workflow's current version, or null when the owner has no workflow with that id.</summary>
    public async Task<StoredWorkflow?> GetAsync(string ownerId, string workflowId, CancellationToken cancellationToken)
    {
        var found = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.Record!.OwnerId == ownerId && v.Record.WorkflowId == workflowId && v.Record.DeletedAt == null
                        && v.Number == v.Record.CurrentVersion)
            .Select(v => new { v.Id, v.Number, v.Definition, v.Record!.CreatedAt, v.Record.UpdatedAt })
            .FirstOrDefaultAsync(cancellationToken);
        return found is null
            ? null
            : new StoredWorkflow(versions.GetOrParse(found.Id, found.Definition), found.Number, found.Id, found.CreatedAt, found.UpdatedAt);
    }

    /// <summary>One version of the owner's workflow by its number (deleted workflows' versions stay readable for their runs).</summary>
    public async Task<StoredWorkflow?> GetVersionAsync(string ownerId, string workflowId, int number, CancellationToken cancellationToken)
    {
        var found = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.Record!.OwnerId == ownerId && v.Record.WorkflowId == workflowId && v.Number == number)
            .Select(v => new { v.Id, v.Number, v.Definition, v.Record!.CreatedAt, v.SavedAt })
            .FirstOrDefaultAsync(cancellationToken);
        return found is null
            ? null
            : new StoredWorkflow(versions.GetOrParse(found.Id, found.Definition), found.Number, found.Id, found.CreatedAt, found.SavedAt);
    }

    // compiled once: GET /api/workflows is a hot path, and a LINQ query is hashed and looked up in EF's cache on every call
    private static readonly Func<AppDbContext, string, IAsyncEnumerable<WorkflowSummary>> Summaries = EF.CompileAsyncQuery(
        (AppDbContext db, string ownerId) => db.Workflows.AsNoTracking()
            .Where(w => w.OwnerId == ownerId && w.DeletedAt == null)
            .OrderBy(w => w.WorkflowId)
            .Select(w => new WorkflowSummary(w.WorkflowId, w.Name, w.Description, w.CurrentVersion, w.CreatedAt, w.UpdatedAt)));

    public async Task<IReadOnlyList<WorkflowSummary>> ListAsync(string ownerId, CancellationToken cancellationToken) =>
        await Summaries(db, ownerId).ToListAsync(cancellationToken);

    public async Task<IReadOnlyList<WorkflowVersionSummary>> ListVersionsAsync(string ownerId, string workflowId, CancellationToken cancellationToken) =>
        await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.Record!.OwnerId == ownerId && v.Record.WorkflowId == workflowId && v.Record.DeletedAt == null)
            .OrderByDescending(v => v.Number)
            .Select(v => new WorkflowVersionSummary(v.Id, v.Number, v.SavedAt, v.SavedBy))
            .ToListAsync(cancellationToken);

    /// <summary>
    /// Versions <paramref name="from"/> and <paramref name="to"/> of the owner's workflow side by side (each as its
    /// indented JSON). Null with a sentence when the workflow or one of the versions does not exist.
    /// </summary>
    public async Task<(Versions.SideBySideDiff? Diff, string? Problem)> DiffAsync(
        string ownerId, string workflowId, int from, int to, CancellationToken cancellationToken)
    {
        var old = await GetVersionAsync(ownerId, workflowId, from, cancellationToken);
        var now = await GetVersionAsync(ownerId, workflowId, to, cancellationToken);
        if (old is null || now is null)
        {
            return (null, $"workflow '{workflowId}' has no version {(old is null ? from : to)}; its versions are listed at /api/workflows/{workflowId}/versions.");
        }
        return (Versions.VersionDiff.Of(from, WorkflowJson.Serialize(old.Workflow, indented: true), to, WorkflowJson.Serialize(now.Workflow, indented: true)), null);
    }

    /// <summary>
    /// Saves version <paramref name="number"/> of the owner's workflow again as its newest version: nothing is
    /// rewritten, the history grows by one. Null when the workflow (not deleted) or that version does not exist.
    /// </summary>
    public async Task<WorkflowSaveResult?> RestoreAsync(string ownerId, string workflowId, int number, CancellationToken cancellationToken)
    {
        if (await GetAsync(ownerId, workflowId, cancellationToken) is null
            || await GetVersionAsync(ownerId, workflowId, number, cancellationToken) is not { } version)
        {
            return null;
        }
        return await SaveAsync(ownerId, version.Workflow, SaveMode.Replace, null, cancellationToken);
    }

    /// <summary>
    /// Deletes the workflow for its owner; false when there was none. Its runs keep their history and the versions
    /// they ran, so the row is only marked deleted.
    /// </summary>
    public async Task<bool> DeleteAsync(string ownerId, string workflowId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var changed = await db.Workflows
            .Where(w => w.OwnerId == ownerId && w.WorkflowId == workflowId && w.DeletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.DeletedAt, now), cancellationToken);
        if (changed > 0)
        {
            await triggers.DisableAllAsync(db, ownerId, workflowId, cancellationToken);
            await audit.WriteAsync("workflow.deleted", workflowId, cancellationToken: cancellationToken);
        }
        return changed > 0;
    }
}
