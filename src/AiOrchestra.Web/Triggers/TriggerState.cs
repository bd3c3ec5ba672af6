using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Triggers;

/// <summary>
/// What the store keeps beside a trigger of the workflow document: a webhook's token and secret (encrypted), a
/// schedule's next due time, a poll's cursor, and the last failure. One row per trigger id of a workflow, kept in
/// step with the workflow's current version by <see cref="TriggerStore.SyncAsync"/>.
/// </summary>
public sealed class TriggerState
{
    public long Id { get; set; }
    public long WorkflowRecordId { get; set; }
    public required string OwnerId { get; set; }
    public required string WorkflowId { get; set; }
    public required string TriggerId { get; set; }

    /// <summary><c>webhook</c>, <c>schedule</c> or <c>poll</c>.</summary>
    public required string Type { get; set; }

    /// <summary>Enabled in the current version and the workflow not deleted.</summary>
    public bool Enabled { get; set; }

    /// <summary>SHA-256 (hex) of the webhook's token: what a call is looked up by.</summary>
    public string? TokenHash { get; set; }

    /// <summary>The webhook's token, encrypted with Data Protection, so its URL can be shown again.</summary>
    public string? Token { get; set; }

    /// <summary>The webhook's signing secret, encrypted with Data Protection; null until one is made.</summary>
    public string? Secret { get; set; }

    /// <summary>A schedule's settings (cron, zone, interval) its due time was computed from; a change recomputes it.</summary>
    public string? ScheduleKey { get; set; }

    /// <summary>A schedule's next due time, or a poll's next poll.</summary>
    public DateTimeOffset? NextDueAt { get; set; }

    /// <summary>A poll's ids already seen (a JSON array, newest last); null before the baseline poll.</summary>
    public string? Cursor { get; set; }

    public DateTimeOffset? LastFiredAt { get; set; }
    public string? LastRunId { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastErrorAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<TriggerState>
    {
        public void Configure(EntityTypeBuilder<TriggerState> entity)
        {
            entity.ToTable("trigger_states");
            entity.Property(t => t.OwnerId).HasColumnName("owner_id");
            entity.Property(t => t.WorkflowRecordId).HasColumnName("workflow_record_id");
            entity.Property(t => t.WorkflowId).HasColumnName("workflow_id").HasMaxLength(64);
            entity.Property(t => t.TriggerId).HasColumnName("trigger_id").HasMaxLength(64);
            entity.Property(t => t.Type).HasColumnName("type").HasMaxLength(16);
            entity.Property(t => t.Enabled).HasColumnName("enabled");
            entity.Property(t => t.TokenHash).HasColumnName("token_hash").HasMaxLength(64);
            entity.Property(t => t.Token).HasColumnName("token");
            entity.Property(t => t.Secret).HasColumnName("secret");
            entity.Property(t => t.ScheduleKey).HasColumnName("schedule_key");
            entity.Property(t => t.NextDueAt).HasColumnName("next_due_at");
            entity.Property(t => t.Cursor).HasColumnName("cursor");
            entity.Property(t => t.LastFiredAt).HasColumnName("last_fired_at");
            entity.Property(t => t.LastRunId).HasColumnName("last_run_id").HasMaxLength(36);
            entity.Property(t => t.LastError).HasColumnName("last_error");
            entity.Property(t => t.LastErrorAt).HasColumnName("last_error_at");
            entity.Property(t => t.Id).HasColumnName("id");
            entity.HasIndex(t => new { t.WorkflowRecordId, t.TriggerId }).IsUnique();
            entity.HasIndex(t => t.TokenHash).IsUnique();
            // the scheduler's and poller's question: which enabled triggers are due
            entity.HasIndex(t => new { t.Type, t.Enabled, t.NextDueAt });
            entity.HasOne<WorkflowRecord>().WithMany().HasForeignKey(t => t.WorkflowRecordId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}

/// <summary>
/// One firing claimed by a trigger: a schedule's due time or a webhook delivery's idempotency key, unique per
/// trigger, written before the run is queued so no due time or delivery starts two runs.
/// </summary>
public sealed class TriggerFiring
{
    public long Id { get; set; }
    public long TriggerStateId { get; set; }
    public required string Key { get; set; }
    public string? RunId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<TriggerFiring>
    {
        public void Configure(EntityTypeBuilder<TriggerFiring> entity)
        {
            entity.ToTable("trigger_firings");
            entity.Property(f => f.Id).HasColumnName("id");
            entity.Property(f => f.TriggerStateId).HasColumnName("trigger_state_id");
            entity.Property(f => f.Key).HasColumnName("key").HasMaxLength(200);
            entity.Property(f => f.RunId).HasColumnName("run_id").HasMaxLength(36);
            entity.Property(f => f.CreatedAt).HasColumnName("created_at");
            entity.HasIndex(f => new { f.TriggerStateId, f.Key }).IsUnique();
            entity.HasIndex(f => f.CreatedAt);
            entity.HasOne<TriggerState>().WithMany().HasForeignKey(f => f.TriggerStateId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
