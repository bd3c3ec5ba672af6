using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Alerts;

/// <summary>When to alert, for one workflow or all of a user's workflows, on one channel.</summary>
public sealed class AlertRule
{
    public long Id { get; set; }
    public required string OwnerId { get; set; }
    public long ChannelId { get; set; }

    /// <summary>The workflow watched; null for all the owner's workflows (and triggers).</summary>
    public string? WorkflowId { get; set; }

    /// <summary>One of <see cref="AlertRuleKinds"/>.</summary>
    public required string Kind { get; set; }

    /// <summary>Failures in a row, or seconds (run slower than, oldest queued run older than); unused by the others.</summary>
    public int Threshold { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<AlertRule>
    {
        public void Configure(EntityTypeBuilder<AlertRule> entity)
        {
            entity.ToTable("alert_rules");
            entity.Property(r => r.Kind).HasMaxLength(24);
            entity.Property(r => r.WorkflowId).HasMaxLength(64);
            entity.HasIndex(r => r.OwnerId);
            entity.HasOne<AiOrchestra.Web.Projects.Project>().WithMany().HasForeignKey(r => r.OwnerId).OnDelete(DeleteBehavior.Cascade);
            entity.HasOne<AlertChannel>().WithMany().HasForeignKey(r => r.ChannelId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}

public static class AlertRuleKinds
{
    public const string RunFailed = "run_failed";
    public const string FailuresInRow = "failures_in_row";
    public const string SlowRun = "slow_run";
    public const string QueueAge = "queue_age";
    public const string TriggerFailing = "trigger_failing";

    public static readonly string[] All = [RunFailed, FailuresInRow, SlowRun, QueueAge, TriggerFailing];

    public static bool NeedsThreshold(string kind) => kind is FailuresInRow or SlowRun or QueueAge;

    public static string Describe(string kind, int threshold) => kind switch
    {
        RunFailed => "a run failed",
        FailuresInRow => $"{threshold} failures in a row",
        SlowRun => $"a run took longer than {threshold} s",
        QueueAge => $"the oldest queued run waits longer than {threshold} s",
        TriggerFailing => "a trigger fails",
        _ => kind,
    };
}

/// <summary>
/// A rule's state for one subject (a workflow, a trigger, the queue): firing or not, and the failures counted. An alert
/// goes out when it starts firing and a recovery when it stops; nothing in between (deduplication).
/// </summary>
public sealed class AlertState
{
    public long Id { get; set; }
    public long RuleId { get; set; }
    public required string Subject { get; set; }
    public bool Firing { get; set; }
    public int Count { get; set; }
    public DateTimeOffset ChangedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<AlertState>
    {
        public void Configure(EntityTypeBuilder<AlertState> entity)
        {
            entity.ToTable("alert_states");
            entity.Property(s => s.Subject).HasMaxLength(200);
            entity.HasIndex(s => new { s.RuleId, s.Subject }).IsUnique();
            entity.HasOne<AlertRule>().WithMany().HasForeignKey(s => s.RuleId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
