using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>
/// A step of a <c>waiting</c> run that waits for a person's answer (an approval) or for a time (a wait step). It lives
/// here, not in memory, so a restart loses no wait; the row goes when the wait is answered, due or cancelled, and the
/// run is queued again to resume after the step.
/// </summary>
public sealed class RunWait
{
    public const string Approval = "approval";
    public const string Time = "time";

    public required string RunId { get; set; }
    public int StepIndex { get; set; }
    public required string StepId { get; set; }

    /// <summary><see cref="Approval"/> or <see cref="Time"/>.</summary>
    public required string Kind { get; set; }

    /// <summary>What an approval asks; null for a wait step.</summary>
    public string? Message { get; set; }

    /// <summary>When a wait step is done, or an approval times out.</summary>
    public DateTimeOffset DueAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<RunWait>
    {
        public void Configure(EntityTypeBuilder<RunWait> entity)
        {
            entity.ToTable("run_waits");
            entity.HasKey(w => new { w.RunId, w.StepIndex });
            entity.Property(w => w.StepIndex).HasColumnName("step_index");
            entity.Property(w => w.StepId).HasMaxLength(64);
            entity.Property(w => w.Kind).HasMaxLength(16);
            // the sweeper's question: which waits are due
            entity.HasIndex(w => w.DueAt);
            entity.HasOne<Run>().WithMany().HasForeignKey(w => w.RunId).HasPrincipalKey(r => r.Id).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
