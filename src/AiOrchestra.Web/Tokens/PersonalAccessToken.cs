using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Tokens;

/// <summary>
/// A token a user made for a script or CI: a name, the scopes it may use, an expiry. Only the SHA-256 of the token
/// is kept (the token is 256 random bits, so the hash cannot be reversed), so it is shown once, when made.
/// </summary>
public sealed class PersonalAccessToken
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string Name { get; set; }

    /// <summary>The scopes, separated by spaces, as <see cref="TokenScopes"/> names them.</summary>
    public required string Scopes { get; set; }

    /// <summary>The project the token works in; null for its user's personal project.</summary>
    public string? ProjectId { get; set; }

    public required string TokenHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<PersonalAccessToken>
    {
        public void Configure(EntityTypeBuilder<PersonalAccessToken> entity)
        {
            entity.ToTable("personal_access_tokens");
            entity.Property(t => t.Name).HasMaxLength(100);
            entity.Property(t => t.Scopes).HasMaxLength(100);
            entity.Property(t => t.TokenHash).HasMaxLength(64);
            entity.HasIndex(t => t.TokenHash).IsUnique();
            entity.HasIndex(t => t.UserId);
            entity.HasOne<AppUser>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
            entity.Property(t => t.ProjectId).HasMaxLength(36);
            entity.HasOne<Projects.Project>().WithMany().HasForeignKey(t => t.ProjectId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
