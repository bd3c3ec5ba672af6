using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Users;

/// <summary>
/// A link an administrator hands to a new user, who chooses their password with it: valid once, for
/// <see cref="Lifetime"/>. Only the SHA-256 of its token is kept, so the database does not hold usable links.
/// </summary>
public sealed class Invitation
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string TokenHash { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? AcceptedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<Invitation>
    {
        public void Configure(EntityTypeBuilder<Invitation> entity)
        {
            entity.ToTable("invitations");
            entity.Property(i => i.TokenHash).HasMaxLength(64);
            entity.Property(i => i.CreatedBy).HasMaxLength(256);
            entity.HasIndex(i => i.TokenHash).IsUnique();
            entity.HasIndex(i => i.UserId);
            entity.HasOne<AppUser>().WithMany().HasForeignKey(i => i.UserId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
