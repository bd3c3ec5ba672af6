using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>
/// One workflow's LLM calls on one UTC day, added to as each LLM step finishes: Home shows spending per workflow and per
/// day from these few rows without reading any run. Kept when runs are removed by retention (it is the bill's history).
/// </summary>
public sealed class LlmUsageDay
{
    public required string OwnerId { get; set; }
    public required string WorkflowId { get; set; }

    /// <summary>The UTC day as <c>yyyy-MM-dd</c>.</summary>
    public required string Day { get; set; }

    public int Calls { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }

    /// <summary>The cost of the calls whose model has a price (see <c>Pricing</c>).</summary>
    public double Cost { get; set; }

    /// <summary>Calls whose model had no price: their tokens are counted, their cost is not.</summary>
    public int UnpricedCalls { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<LlmUsageDay>
    {
        public void Configure(EntityTypeBuilder<LlmUsageDay> entity)
        {
            entity.ToTable("llm_usage_days");
            entity.HasKey(u => new { u.OwnerId, u.Day, u.WorkflowId });
            entity.Property(u => u.WorkflowId).HasMaxLength(64);
            entity.Property(u => u.Day).HasMaxLength(10);
            entity.HasOne<AiOrchestra.Web.Projects.Project>().WithMany().HasForeignKey(u => u.OwnerId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
