using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>
/// One execution of a workflow version. The row exists (queued) before any step runs; a worker claims it with a lease.
/// </summary>
public sealed class Run
{
    /// <summary>A version-7 GUID: sorts by creation time. The <c>execution_id</c> of the exported log.</summary>
    public required string Id { get; set; }

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
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public bool CancelRequested { get; set; }

    public List<RunStep> Steps { get; set; } = [];

    internal sealed class Configuration : IEntityTypeConfiguration<Run>
    {
        public void Configure(EntityTypeBuilder<Run> entity)
        {
            entity.ToTable("runs");
            entity.Property(r => r.Id).HasMaxLength(36);
            entity.Property(r => r.WorkflowId).HasMaxLength(64);
            entity.Property(r => r.Origin).HasMaxLength(80).HasDefaultValue(RunOrigin.Manual);
            // the Logs page: a user's runs newest first, filtered by status or workflow
            entity.HasIndex(r => new { r.OwnerId, r.CreatedAt }).IsDescending(false, true);
            entity.HasIndex(r => new { r.OwnerId, r.WorkflowId, r.CreatedAt }).IsDescending(false, false, true);
            entity.HasIndex(r => new { r.OwnerId, r.Status, r.CreatedAt }).IsDescending(false, false, true);
            // the Logs page's origin filter: without it a rare origin scans the owner's whole history (1.5 s at 200k runs)
            entity.HasIndex(r => new { r.OwnerId, r.Origin, r.CreatedAt }).IsDescending(false, false, true);
            // the worker's claim: queued runs in id order, and the running ones it recovers or renews. Partial, so a
            // finished run (nearly every stored run) has no entry in them: the history pays nothing for the queue.
            entity.HasIndex(r => r.Id, "IX_runs_queued_id").HasFilter("status = 'queued'");
            entity.HasIndex(r => r.Id, "IX_runs_running_id").HasFilter("status = 'running'");
            // the claim's look for other owners' queued runs (one seek per owner); partial, so finished runs cost nothing in it
            entity.HasIndex(r => new { r.OwnerId, r.Id }, "IX_runs_queued_owner_id_id").HasFilter("status = 'queued'");
            entity.HasOne<AppUser>().WithMany().HasForeignKey(r => r.OwnerId).OnDelete(DeleteBehavior.Cascade);
            entity.HasOne<WorkflowRecord>().WithMany().HasForeignKey(r => r.WorkflowRecordId).OnDelete(DeleteBehavior.Restrict);
            entity.HasOne<WorkflowVersion>().WithMany().HasForeignKey(r => r.WorkflowVersionId).OnDelete(DeleteBehavior.Restrict);
        }
    }
}
