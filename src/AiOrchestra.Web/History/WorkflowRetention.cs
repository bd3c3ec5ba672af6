using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.History;

/// <summary>
/// One workflow's own retention, overriding the instance's <see cref="RetentionOptions"/> for its runs: days kept
/// (failed runs' days), and the newest runs kept. An unset value follows the instance's; the instance's
/// <c>MaxRuns</c> still bounds the whole database.
/// </summary>
public sealed class WorkflowRetention
{
    public const int MaxDays = 36_500;

    public long Id { get; set; }
    public required string OwnerId { get; set; }
    public required string WorkflowId { get; set; }
    public int? Days { get; set; }
    public int? FailedDays { get; set; }
    public int? MaxRuns { get; set; }

    public int DaysOr(RetentionOptions global) => Days ?? global.Days;

    /// <summary>Failed runs: their own days, else the instance's longer days for failed runs, else the days.</summary>
    public int FailedDaysOr(RetentionOptions global) => FailedDays ?? Math.Max(DaysOr(global), global.FailedDays ?? 0);

    internal sealed class Configuration : IEntityTypeConfiguration<WorkflowRetention>
    {
        public void Configure(EntityTypeBuilder<WorkflowRetention> entity)
        {
            entity.ToTable("workflow_retention");
            entity.Property(r => r.WorkflowId).HasMaxLength(64);
            entity.HasIndex(r => new { r.OwnerId, r.WorkflowId }).IsUnique();
            entity.HasOne<AiOrchestra.Web.Projects.Project>().WithMany().HasForeignKey(r => r.OwnerId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
