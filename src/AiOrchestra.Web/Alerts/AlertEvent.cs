using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Alerts;

/// <summary>One alert (or recovery, or test) for one channel: the history row and the delivery's state.</summary>
public sealed class AlertEvent
{
    public long Id { get; set; }
    public required string OwnerId { get; set; }
    public long ChannelId { get; set; }
    public long? RuleId { get; set; }

    /// <summary><c>firing</c>, <c>resolved</c> or <c>test</c>.</summary>
    public required string Kind { get; set; }

    public required string Title { get; set; }
    public required string Message { get; set; }
    public string? WorkflowId { get; set; }
    public string? RunId { get; set; }

    /// <summary>One of <see cref="AlertEventStatus"/>.</summary>
    public required string Status { get; set; }

    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<AlertEvent>
    {
        public void Configure(EntityTypeBuilder<AlertEvent> entity)
        {
            entity.ToTable("alert_events");
            entity.Property(e => e.Kind).HasMaxLength(16);
            entity.Property(e => e.Status).HasMaxLength(16);
            entity.Property(e => e.Title).HasMaxLength(300);
            entity.Property(e => e.WorkflowId).HasMaxLength(64);
            entity.Property(e => e.RunId).HasMaxLength(36);
            entity.HasIndex(e => new { e.Status, e.NextAttemptAt });
            entity.HasIndex(e => new { e.OwnerId, e.Id });
            entity.HasOne<AiOrchestra.Web.Projects.Project>().WithMany().HasForeignKey(e => e.OwnerId).OnDelete(DeleteBehavior.Cascade);
            entity.HasOne<AlertChannel>().WithMany().HasForeignKey(e => e.ChannelId).OnDelete(DeleteBehavior.Cascade);
            entity.HasOne<AlertRule>().WithMany().HasForeignKey(e => e.RuleId).OnDelete(DeleteBehavior.SetNull);
        }
    }
}

public static class AlertEventStatus
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Failed = "failed";

    /// <summary>Over the channel's rate limit: recorded, not sent.</summary>
    public const string Suppressed = "suppressed";
}
