using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>
/// A step's pinned output: a test run of the workflow uses it instead of calling the step. Runs started by a trigger,
/// the API or Execute never do, unless asked for explicitly.
/// </summary>
public sealed class StepPin
{
    public long Id { get; set; }
    public long WorkflowRecordId { get; set; }
    public required string StepId { get; set; }

    /// <summary>The output as JSON text.</summary>
    public required string Output { get; set; }

    /// <summary>The run it was taken from; null when it was typed.</summary>
    public string? FromRunId { get; set; }

    public DateTimeOffset PinnedAt { get; set; }
    public string? PinnedBy { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<StepPin>
    {
        public void Configure(EntityTypeBuilder<StepPin> entity)
        {
            entity.ToTable("step_pins");
            entity.Property(p => p.StepId).HasMaxLength(64);
            entity.Property(p => p.FromRunId).HasMaxLength(36);
            entity.Property(p => p.PinnedBy).HasMaxLength(256);
            entity.HasIndex(p => new { p.WorkflowRecordId, p.StepId }).IsUnique();
            entity.HasOne<WorkflowRecord>().WithMany().HasForeignKey(p => p.WorkflowRecordId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
