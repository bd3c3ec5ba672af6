using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Audit;

/// <summary>
/// One thing a person (or a script with their token) did: who, when, from which address, what, to what. Written,
/// never changed: the app has no code that updates or deletes entries, and the database refuses both (triggers).
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>The account that acted; null for an unknown user name at sign-in, or the app itself.</summary>
    public string? ActorId { get; set; }

    /// <summary>The actor's user name when it acted (kept after the account is renamed or deleted).</summary>
    public required string ActorName { get; set; }

    /// <summary>What happened, as <c>area.verb</c>: <c>sign-in.succeeded</c>, <c>workflow.saved</c>, <c>user.disabled</c>…</summary>
    public required string Action { get; set; }

    /// <summary>What it happened to: a workflow id, a user name, a token's name.</summary>
    public required string Target { get; set; }

    /// <summary>More: the version saved, the scopes of a token, the role granted.</summary>
    public string? Detail { get; set; }

    /// <summary>The client's address, when the action came through a request.</summary>
    public string? Address { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<AuditEntry>
    {
        public void Configure(EntityTypeBuilder<AuditEntry> entity)
        {
            entity.ToTable("audit_entries");
            entity.Property(a => a.ActorName).HasMaxLength(256);
            entity.Property(a => a.Action).HasMaxLength(64);
            entity.Property(a => a.Target).HasMaxLength(300);
            entity.Property(a => a.Detail).HasMaxLength(1000);
            entity.Property(a => a.Address).HasMaxLength(64);
            // retention's deletes and the date filter. No index on action: the page's filter is a prefix match (LIKE on a
            // case-sensitive column), which no index serves on either provider, and one entry per API run cost ~30 B
            entity.HasIndex(a => a.At);
        }
    }
}
