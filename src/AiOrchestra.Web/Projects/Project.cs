using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Projects;

/// <summary>
/// Whose data a workflow, prompt, trigger, run or credential is. Every user has a personal project whose id is the
/// user's id (so the owner ids stored before projects existed name it unchanged); administrators create shared
/// projects and add members with a <see cref="ProjectRole"/>.
/// </summary>
public sealed class Project
{
    public const int MaxNameLength = 100;

    public required string Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The user whose personal project this is; null for a shared project.</summary>
    public string? PersonalUserId { get; set; }

    /// <summary>Whether its steps may use the instance's credentials (environment, appsettings, the instance's stored ones) where it has none of its own.</summary>
    public bool UsesInstanceCredentials { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public bool IsPersonal => PersonalUserId is not null;

    internal sealed class Configuration : IEntityTypeConfiguration<Project>
    {
        public void Configure(EntityTypeBuilder<Project> entity)
        {
            entity.ToTable("projects");
            entity.Property(p => p.Id).HasMaxLength(36);
            entity.Property(p => p.Name).HasMaxLength(MaxNameLength);
            entity.Property(p => p.UsesInstanceCredentials).HasDefaultValue(true);
            entity.HasIndex(p => p.PersonalUserId).IsUnique();
            // a deleted user's personal project goes with them, and everything in it (as their things did before projects)
            entity.HasOne<AppUser>().WithMany().HasForeignKey(p => p.PersonalUserId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}

/// <summary>A user's role in a shared project.</summary>
public sealed class ProjectMember
{
    public required string ProjectId { get; set; }
    public required string UserId { get; set; }

    /// <summary>One of <see cref="ProjectRoles"/>' names.</summary>
    public required string Role { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<ProjectMember>
    {
        public void Configure(EntityTypeBuilder<ProjectMember> entity)
        {
            entity.ToTable("project_members");
            entity.HasKey(m => new { m.ProjectId, m.UserId });
            entity.HasIndex(m => m.UserId);
            entity.Property(m => m.Role).HasMaxLength(16);
            entity.HasOne<Project>().WithMany().HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
            entity.HasOne<AppUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}

/// <summary>A project's own value of an integration credential (e.g. <c>OpenAI:ApiKey</c>), encrypted with Data Protection.</summary>
public sealed class ProjectCredential
{
    public required string ProjectId { get; set; }
    public required string Key { get; set; }

    /// <summary>The value as Data Protection's ciphertext: never the value itself.</summary>
    public required string Ciphertext { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<ProjectCredential>
    {
        public void Configure(EntityTypeBuilder<ProjectCredential> entity)
        {
            entity.ToTable("project_credentials");
            entity.HasKey(c => new { c.ProjectId, c.Key });
            entity.Property(c => c.Key).HasMaxLength(200);
            entity.HasOne<Project>().WithMany().HasForeignKey(c => c.ProjectId).OnDelete(DeleteBehavior.Cascade);
        }
    }
}
