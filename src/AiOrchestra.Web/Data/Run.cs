using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>
/// One execution of a workflow version. The row exists (queued) before any step runs; a worker claims it with a lease.
/// </summary>
public sealed class Run
{
    /// <summary>
    /// The store's own key, never shown: its steps reference the run by it (8 bytes an entry, not the id's 36). SQLite's
    /// rowid, so it costs no index of its own.
    /// </summary>
    public long Key { get; set; }

    /// <summary>A version-7 GUID: sorts by creation time. The <c>execution_id</c> of the exported log.</summary>
    public required string Id { get; set; }

    /// <summary>The project it belongs to (a personal project's id is its user's id).</summary>
    public required string OwnerId { get; set; }
    public long WorkflowRecordId { get; set; }
    public long WorkflowVersionId { get; set; }
    public required string WorkflowId { get; set; }
    public int WorkflowVersionNumber { get; set; }
    public RunStatus Status { get; set; }

    /// <summary>What started the run: see <see cref="RunOrigin"/>.</summary>
    public string Origin { get; set; } = RunOrigin.Manual;

    /// <summary>The run's inputs as a JSON object.</summary>
    public required string Inputs { get; set; }

    public string? Error { get; set; }

    /// <summary>The failed or cancelled run this one resumes: it started with that run's succeeded steps copied.</summary>
    public string? ResumedFromRunId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public bool CancelRequested { get; set; }

    /// <summary>The W3C <c>traceparent</c> of the run's trace (its "queued" span) when tracing is on; null otherwise.</summary>
    public string? TraceParent { get; set; }

    /// <summary>For a child run (a <c>workflow</c> step's sub-workflow): the run whose step started it; null otherwise.</summary>
    public string? ParentRunId { get; set; }

    /// <summary>The parent's step that started this child run.</summary>
    public string? ParentStepId { get; set; }

    /// <summary>The parent step's for_each item this child run is for; null outside a loop.</summary>
    public int? ParentItemIndex { get; set; }

    /// <summary>Which of its parent's children this run is (step, item, call): unique per parent, so a resumed parent finds it.</summary>
    public string? ChildKey { get; set; }

    public List<RunStep> Steps { get; set; } = [];

    internal sealed class Configuration : IEntityTypeConfiguration<Run>
    {
        public void Configure(EntityTypeBuilder<Run> entity)
        {
            entity.ToTable("runs");
            entity.HasKey(r => r.Key);
            // the id users, URLs and every other table see: unique, and the key the other tables' foreign keys name
            entity.HasAlternateKey(r => r.Id);
            entity.Property(r => r.Id).HasMaxLength(36);
            entity.Property(r => r.WorkflowId).HasMaxLength(64);
            entity.Property(r => r.TraceParent).HasMaxLength(55);
            entity.Property(r => r.Origin).HasMaxLength(80).HasDefaultValue(RunOrigin.Manual);
            entity.Property(r => r.ResumedFromRunId).HasMaxLength(36);
            // a run page lists the runs that resumed it
            entity.HasIndex(r => r.ResumedFromRunId).HasFilter("resumed_from_run_id IS NOT NULL");
            // the Logs page: a user's runs newest first, filtered by status or workflow. Ascending, read backwards: a new
            // run's entry is then appended at the end of its owner's range and fills pages, where in a descending index
            // every entry went in at the range's start and split pages in half (half of each page empty, ~270 B a run)
            entity.HasIndex(r => new { r.OwnerId, r.CreatedAt });
            entity.HasIndex(r => new { r.OwnerId, r.WorkflowId, r.CreatedAt });
            entity.HasIndex(r => new { r.OwnerId, r.Status, r.CreatedAt });
            // the Logs page's origin filter: without it a rare origin scans the owner's whole history (1.5 s at 200k runs)
            entity.HasIndex(r => new { r.OwnerId, r.Origin, r.CreatedAt });
            // the worker's claim: queued runs in id order, the running ones it recovers or renews, and other owners'
            // queued runs (one seek per owner). Partial, so a finished run (nearly every stored run) has no entry in them.
            // Status leads although it is constant in each: a condition on it is then an equality the planner uses;
            // without it SQLite prefers any index with one (parent_run_id IS NULL matches the whole history).
            entity.HasIndex(r => new { r.Status, r.Id }, "IX_runs_queued").HasFilter("status = 'queued'");
            entity.HasIndex(r => new { r.Status, r.Id }, "IX_runs_running").HasFilter("status = 'running'");
            entity.HasIndex(r => new { r.Status, r.OwnerId, r.Id }, "IX_runs_queued_by_owner").HasFilter("status = 'queued'");
            // a parent's children, found again after a crash and listed on its page; never two for the same key
            entity.Property(r => r.ParentRunId).HasMaxLength(36);
            entity.Property(r => r.ParentStepId).HasMaxLength(64);
            entity.Property(r => r.ChildKey).HasMaxLength(40);
            // partial: a run that is no child (nearly every run) has no entry
            entity.HasIndex(r => new { r.ParentRunId, r.ChildKey }).IsUnique().HasFilter("parent_run_id IS NOT NULL");
            entity.HasOne<AiOrchestra.Web.Projects.Project>().WithMany().HasForeignKey(r => r.OwnerId).OnDelete(DeleteBehavior.Cascade);
            entity.HasOne<WorkflowRecord>().WithMany().HasForeignKey(r => r.WorkflowRecordId).OnDelete(DeleteBehavior.Restrict);
            entity.HasOne<WorkflowVersion>().WithMany().HasForeignKey(r => r.WorkflowVersionId).OnDelete(DeleteBehavior.Restrict);
        }
    }
}
