using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>A user's prompt template, as the seed's PromptTemplate.</summary>
public sealed class PromptRecord
{
    public long Id { get; set; }
    /// <summary>The project it belongs to (a personal project's id is its user's id).</summary>
    public required string OwnerId { get; set; }
    public required string TemplateId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public required string Template { get; set; }

    /// <summary>The original AI-Orchestra's system prompt, model and temperature, used by LLM steps.</summary>
    public string? SystemPrompt { get; set; }
    public string? Model { get; set; }
    public double? Temperature { get; set; }
    /// <summary>The number of the latest of its <see cref="PromptVersion"/>s.</summary>
    public int CurrentVersion { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<PromptRecord>
    {
        public void Configure(EntityTypeBuilder<PromptRecord> entity)
        {
            entity.ToTable("prompts");
            entity.Property(p => p.TemplateId).HasMaxLength(64);
            entity.Property(p => p.Name).HasMaxLength(200);
            entity.Property(p => p.Model).HasMaxLength(100);
            entity.HasIndex(p => new { p.OwnerId, p.TemplateId }).IsUnique();
            entity.HasOne<AiOrchestra.Web.Projects.Project>().WithMany().HasForeignKey(p => p.OwnerId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
