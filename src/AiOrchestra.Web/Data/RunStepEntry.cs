using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>
/// One note a step wrote as it went (an agent's model turn or tool call, as JSON), written before the step goes on:
/// a run resumed after a crash continues the step after its last note, and the run page shows the notes as the
/// agent's conversation.
/// </summary>
public sealed class RunStepEntry
{
    public long Id { get; set; }
    public required string RunId { get; set; }
    public int StepIndex { get; set; }

    /// <summary>The for_each item the note belongs to; -1 for a step without for_each.</summary>
    public int ItemIndex { get; set; }

    public int Sequence { get; set; }
    public required string StepId { get; set; }
    public required string Entry { get; set; }
    public DateTimeOffset RecordedAt { get; set; }

    /// <summary>The number its step-entry event had live (the run's event ids).</summary>
    public long? Event { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<RunStepEntry>
    {
        public void Configure(EntityTypeBuilder<RunStepEntry> entity)
        {
            entity.ToTable("run_step_entries");
            entity.Property(s => s.StepId).HasMaxLength(64);
            entity.HasIndex(s => new { s.RunId, s.StepIndex, s.ItemIndex, s.Sequence }).IsUnique();
            entity.HasOne<Run>().WithMany().HasForeignKey(s => s.RunId).HasPrincipalKey(r => r.Id).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
