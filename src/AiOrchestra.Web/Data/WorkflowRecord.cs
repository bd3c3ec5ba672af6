using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>A user's workflow: its id and the number of its current version. The definitions live in <see cref="WorkflowVersion"/>.</summary>
public sealed class WorkflowRecord
{
    public long Id { get; set; }
    /// <summary>The project it belongs to (a personal project's id is its user's id).</summary>
    public required string OwnerId { get; set; }
    public required string WorkflowId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public int CurrentVersion { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Set when the user deletes the workflow; the row stays so the runs of its versions keep their history.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    public List<WorkflowVersion> Versions { get; set; } = [];

    internal sealed class Configuration : IEntityTypeConfiguration<WorkflowRecord>
    {
        public void Configure(EntityTypeBuilder<WorkflowRecord> entity)
        {
            entity.ToTable("workflows");
            entity.Property(w => w.WorkflowId).HasMaxLength(64);
            entity.Property(w => w.Name).HasMaxLength(200);
            entity.HasIndex(w => new { w.OwnerId, w.WorkflowId }).IsUnique();
            entity.HasOne<AiOrchestra.Web.Projects.Project>().WithMany().HasForeignKey(w => w.OwnerId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
