using AiOrchestra.Engine.Execution;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>
/// One finished item of a for_each step, written as it finishes, so a run resumed after a crash goes on with the
/// items not yet done. The step's own row holds the list of all items' outputs once the loop is over.
/// </summary>
public sealed class RunStepItem
{
    public long Id { get; set; }
    public required string RunId { get; set; }
    public int StepIndex { get; set; }
    public int ItemIndex { get; set; }
    public required string StepId { get; set; }
    public StepStatus Status { get; set; }
    public string? Output { get; set; }
    public string? Error { get; set; }
    public int Attempts { get; set; }
    public long DurationMs { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<RunStepItem>
    {
        public void Configure(EntityTypeBuilder<RunStepItem> entity)
        {
            entity.ToTable("run_step_items");
            entity.Property(s => s.StepId).HasMaxLength(64);
            // stored compactly (see StoredOutput): every reader gets the output as the step gave it
            entity.Property(s => s.Output).HasConversion(v => v, v => StoredOutput.Read(v));
            entity.HasIndex(s => new { s.RunId, s.StepIndex, s.ItemIndex }).IsUnique();
            entity.HasOne<Run>().WithMany().HasForeignKey(s => s.RunId).HasPrincipalKey(r => r.Id).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
