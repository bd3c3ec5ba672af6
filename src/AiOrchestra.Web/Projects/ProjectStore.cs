using AiOrchestra.Web.Audit;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Triggers;
using AiOrchestra.Web.Users;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Projects;

public sealed record MemberRow(string UserId, string UserName, ProjectRole Role);

/// <summary>
/// Shared projects and their members, and moving a workflow between projects. Each change returns null when done, or
/// a sentence saying why nothing changed. Instance administrators create projects and may grant any role; a project's
/// own admins manage its members up to <c>editor</c> (only an instance administrator makes a project admin).
/// </summary>
public sealed class ProjectStore(AppDbContext db, ProjectAccess access, AccountStates accounts, TriggerStore triggers, TimeProvider time, AuditLog audit)
{
    public const int MaxMembers = 500;

    /// <summary>The projects the user may switch to: their personal one first, then the shared ones they are in (all of them, for an administrator).</summary>
    public async Task<List<ProjectSeat>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        var administrator = await accounts.GetAsync(userId, null, cancellationToken) is { IsAdministrator: true };
        var shared = await db.Projects.AsNoTracking()
            .Where(p => p.PersonalUserId == null && (administrator || db.ProjectMembers.Any(m => m.ProjectId == p.Id && m.UserId == userId)))
            .OrderBy(p => p.Name)
            .Select(p => new { p.Id, p.Name, Role = db.ProjectMembers.Where(m => m.ProjectId == p.Id && m.UserId == userId).Select(m => m.Role).FirstOrDefault() })
            .ToListAsync(cancellationToken);
        return [new ProjectSeat(userId, "Personal", ProjectRole.Admin, true),
            .. shared.Select(p => new ProjectSeat(p.Id, p.Name, administrator ? ProjectRole.Admin : ProjectRoles.Parse(p.Role) ?? ProjectRole.Viewer, false))];
    }

    public async Task<(string? Id, string? Error)> CreateAsync(string name, CancellationToken cancellationToken)
    {
        name = name.Trim();
        if (name.Length is 0 or > Project.MaxNameLength)
        {
            return (null, $"Give the project a name of 1 to {Project.MaxNameLength} characters.");
        }
        if (await db.Projects.AnyAsync(p => p.PersonalUserId == null && p.Name == name, cancellationToken))
        {
            return (null, $"There is a project named '{name}' already: choose another name.");
        }
        var project = new Project { Id = Guid.CreateVersion7().ToString(), Name = name, CreatedAt = time.GetUtcNow() };
        db.Projects.Add(project);
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync("project.created", name, cancellationToken: cancellationToken);
        return (project.Id, null);
    }

    public async Task<List<MemberRow>> MembersAsync(string projectId, CancellationToken cancellationToken) =>
        (await db.ProjectMembers.AsNoTracking().Where(m => m.ProjectId == projectId)
            .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => new { m.UserId, u.UserName, m.Role })
            .OrderBy(m => m.UserName)
            .ToListAsync(cancellationToken))
        .Select(m => new MemberRow(m.UserId, m.UserName ?? "", ProjectRoles.Parse(m.Role) ?? ProjectRole.Viewer))
        .ToList();

    /// <summary>Adds <paramref name="userName"/> to the project with <paramref name="role"/>, or changes their role.</summary>
    public async Task<string?> SetMemberAsync(string actorId, string projectId, string userName, string? roleName, CancellationToken cancellationToken)
    {
        if (ProjectRoles.Parse(roleName) is not { } role)
        {
            return $"Choose a role of {string.Join(", ", ProjectRoles.All.Select(r => r.Name()))}.";
        }
        if (await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Id == projectId, cancellationToken) is not { } project)
        {
            return "That project no longer exists.";
        }
        if (project.IsPersonal)
        {
            return "A personal project is its owner's alone: create a shared project to work with others.";
        }
        if (await GrantRefusalAsync(actorId, role, cancellationToken) is { } refused)
        {
            return refused;
        }
        var user = await db.Users.AsNoTracking().Where(u => u.NormalizedUserName == userName.Trim().ToUpperInvariant())
            .Select(u => new { u.Id, u.UserName }).FirstOrDefaultAsync(cancellationToken);
        if (user is null)
        {
            return $"There is no user '{userName.Trim()}': an administrator adds users on the Users page first.";
        }
        var member = await db.ProjectMembers.FirstOrDefaultAsync(m => m.ProjectId == projectId && m.UserId == user.Id, cancellationToken);
        if (member is null)
        {
            if (await db.ProjectMembers.CountAsync(m => m.ProjectId == projectId, cancellationToken) >= MaxMembers)
            {
                return $"The project has {MaxMembers} members, the most it may have: remove one first.";
            }
            db.ProjectMembers.Add(new ProjectMember { ProjectId = projectId, UserId = user.Id, Role = role.Name() });
        }
        else if (ProjectRoles.Parse(member.Role) is ProjectRole.Admin && role < ProjectRole.Admin && await GrantRefusalAsync(actorId, ProjectRole.Admin, cancellationToken) is { } demote)
        {
            return demote.Replace("grant", "take away", StringComparison.Ordinal);
        }
        else
        {
            member.Role = role.Name();
        }
        await db.SaveChangesAsync(cancellationToken);
        access.Forget(projectId);
        await audit.WriteAsync(member is null ? "project.member.added" : "project.member.changed", $"{project.Name}: {user.UserName}", role.Name(), cancellationToken: cancellationToken);
        return null;
    }

    public async Task<string?> RemoveMemberAsync(string actorId, string projectId, string userId, CancellationToken cancellationToken)
    {
        var member = await db.ProjectMembers.FirstOrDefaultAsync(m => m.ProjectId == projectId && m.UserId == userId, cancellationToken);
        if (member is null)
        {
            return "That user is not a member of this project.";
        }
        if (ProjectRoles.Parse(member.Role) is ProjectRole.Admin && await GrantRefusalAsync(actorId, ProjectRole.Admin, cancellationToken) is { } refused)
        {
            return refused.Replace("grant", "take away", StringComparison.Ordinal);
        }
        db.ProjectMembers.Remove(member);
        await db.SaveChangesAsync(cancellationToken);
        access.Forget(projectId);
        var name = await db.Users.Where(u => u.Id == userId).Select(u => u.UserName).FirstOrDefaultAsync(cancellationToken);
        var project = await db.Projects.Where(p => p.Id == projectId).Select(p => p.Name).FirstOrDefaultAsync(cancellationToken);
        await audit.WriteAsync("project.member.removed", $"{project}: {name}", cancellationToken: cancellationToken);
        return null;
    }

    /// <summary>Only an instance administrator grants (or takes away) a project's <c>admin</c> role.</summary>
    private async Task<string?> GrantRefusalAsync(string actorId, ProjectRole role, CancellationToken cancellationToken) =>
        role == ProjectRole.Admin && await accounts.GetAsync(actorId, null, cancellationToken) is not { IsAdministrator: true }
            ? "Only an instance administrator may grant the 'admin' role of a project; you may grant viewer, operator and editor."
            : null;

    /// <summary>
    /// Moves a workflow with its versions, runs, triggers, pins and retention to another project, where it must not
    /// have an id taken. The caller checked the user is editor in both.
    /// </summary>
    public async Task<string?> MoveWorkflowAsync(string fromProject, string workflowId, string toProject, CancellationToken cancellationToken)
    {
        if (fromProject == toProject)
        {
            return "The workflow is in that project already.";
        }
        var record = await db.Workflows.AsNoTracking().FirstOrDefaultAsync(w => w.OwnerId == fromProject && w.WorkflowId == workflowId && w.DeletedAt == null, cancellationToken);
        if (record is null)
        {
            return $"There is no workflow '{workflowId}' in this project.";
        }
        if (await db.Workflows.AnyAsync(w => w.OwnerId == toProject && w.WorkflowId == workflowId, cancellationToken))
        {
            return $"The other project has a workflow '{workflowId}' already (or had one, whose runs it keeps): rename one of them first.";
        }
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.Workflows.Where(w => w.Id == record.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.OwnerId, toProject), cancellationToken);
            // the runs go with it (the run_counts triggers move their counts); child runs of its steps are its runs too
            await db.Runs.Where(r => r.WorkflowRecordId == record.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.OwnerId, toProject), cancellationToken);
            await db.TriggerStates.Where(t => t.OwnerId == fromProject && t.WorkflowId == workflowId).ExecuteUpdateAsync(s => s.SetProperty(t => t.OwnerId, toProject), cancellationToken);
            await db.WorkflowRetentions.Where(r => r.OwnerId == fromProject && r.WorkflowId == workflowId).ExecuteUpdateAsync(s => s.SetProperty(r => r.OwnerId, toProject), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        triggers.Changed();
        var to = await db.Projects.Where(p => p.Id == toProject).Select(p => p.PersonalUserId == null ? p.Name : "personal project").FirstOrDefaultAsync(cancellationToken);
        await audit.WriteAsync("workflow.moved", workflowId, $"to {to}", cancellationToken: cancellationToken);
        return null;
    }
}
