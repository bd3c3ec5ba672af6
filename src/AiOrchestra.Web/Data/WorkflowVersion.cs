using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>One saved definition of a workflow. Never changed after it is written: a run records the version it ran.</summary>
public sealed class WorkflowVersion
{
    public long Id { get; set; }
    public long WorkflowRecordId { get; set; }
    public int Number { get; set; }

    /// <summary>The workflow in the seed's JSON format, as <c>WorkflowJson.Serialize</c> wrote it.</summary>
    public required string Definition { get; set; }

    public DateTimeOffset SavedAt { get; set; }

    /// <summary>The user name of who saved it (<c>(app)</c> outside a request: start-up, the command line); null for versions saved before authors were kept.</summary>
    public string? SavedBy { get; set; }

    public WorkflowRecord? Record { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<WorkflowVersion>
    {
        public void Configure(EntityTypeBuilder<WorkflowVersion> entity)
        {
            entity.ToTable("workflow_versions");
            entity.Property(v => v.SavedBy).HasMaxLength(256);
            entity.HasIndex(v => new { v.WorkflowRecordId, v.Number }).IsUnique();
            entity.HasOne(v => v.Record).WithMany(w => w.Versions).HasForeignKey(v => v.WorkflowRecordId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
