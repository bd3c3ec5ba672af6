using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>
/// One saved text of a prompt, written on every save and never changed: replacing a prompt (an edit, or the original
/// AI-Orchestra's POST of an existing id) loses nothing.
/// </summary>
public sealed class PromptVersion
{
    public long Id { get; set; }
    public long PromptRecordId { get; set; }
    public int Number { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public required string Template { get; set; }
    public string? SystemPrompt { get; set; }
    public string? Model { get; set; }
    public double? Temperature { get; set; }
    public DateTimeOffset SavedAt { get; set; }

    /// <summary>The user name of who saved it (<c>(app)</c> outside a request: start-up, the command line); null for versions saved before authors were kept.</summary>
    public string? SavedBy { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<PromptVersion>
    {
        public void Configure(EntityTypeBuilder<PromptVersion> entity)
        {
            entity.ToTable("prompt_versions");
            entity.Property(v => v.Name).HasMaxLength(200);
            entity.Property(v => v.Model).HasMaxLength(100);
            entity.Property(v => v.SavedBy).HasMaxLength(256);
            entity.HasIndex(v => new { v.PromptRecordId, v.Number }).IsUnique();
            entity.HasOne<PromptRecord>().WithMany().HasForeignKey(v => v.PromptRecordId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
