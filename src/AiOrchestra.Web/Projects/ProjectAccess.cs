using System.Collections.Concurrent;
using System.Security.Claims;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Users;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Projects;

/// <summary>A user's place in one project: which project, its name, their role there.</summary>
public sealed record ProjectSeat(string ProjectId, string Name, ProjectRole Role, bool Personal);

/// <summary>
/// Which role a user has in a project, asked on every request that works in one. A user is admin of their personal
/// project (no lookup: its id is theirs, so a personal API call reads nothing more); in a shared project they have the
/// role they were added with, and an instance administrator is admin of every shared project. A seat read from the
/// store is trusted for <see cref="Fresh"/>; a change of members made in this process applies at once.
/// </summary>
public sealed class ProjectAccess(IDbContextFactory<AppDbContext> contexts, AccountStates accounts, TimeProvider time)
{
    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(5);

    /// <summary>The claims a resolved request carries (beside its user's): the project it works in and the role there.</summary>
    public const string ProjectClaim = "project";
    public const string RoleClaim = "project_role";
    public const string NameClaim = "project_name";

    private readonly ConcurrentDictionary<(string User, string Project), (ProjectSeat? Seat, DateTimeOffset ReadAt)> _known = new();

    /// <summary>The user's seat in the project, or null when it is not theirs to see (another user's personal project, a shared one they are not in).</summary>
    public async Task<ProjectSeat?> SeatAsync(string userId, string projectId, CancellationToken cancellationToken)
    {
        if (projectId == userId)
        {
            return new ProjectSeat(userId, "Personal", ProjectRole.Admin, Personal: true);
        }
        var now = time.GetUtcNow();
        if (_known.TryGetValue((userId, projectId), out var known) && now - known.ReadAt < Fresh)
        {
            return known.Seat;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var project = await db.Projects.AsNoTracking().Where(p => p.Id == projectId && p.PersonalUserId == null)
            .Select(p => new { p.Name, Role = db.ProjectMembers.Where(m => m.ProjectId == p.Id && m.UserId == userId).Select(m => m.Role).FirstOrDefault() })
            .FirstOrDefaultAsync(cancellationToken);
        ProjectSeat? seat = null;
        if (project is not null)
        {
            var role = ProjectRoles.Parse(project.Role);
            if (await accounts.GetAsync(userId, null, cancellationToken) is { IsAdministrator: true })
            {
                role = ProjectRole.Admin;
            }
            seat = role is { } r ? new ProjectSeat(projectId, project.Name, r, Personal: false) : null;
        }
        _known[(userId, projectId)] = (seat, now);
        return seat;
    }

    /// <summary>The project's members or name changed: every seat in it is read again.</summary>
    public void Forget(string projectId)
    {
        foreach (var key in _known.Keys.Where(k => k.Project == projectId))
        {
            _known.TryRemove(key, out _);
        }
    }

    /// <summary>Puts the seat on the request's user, where <see cref="ProjectUser"/> finds it.</summary>
    public static void Seat(ClaimsPrincipal user, ProjectSeat seat) =>
        user.AddIdentity(new ClaimsIdentity(
        [
            new Claim(ProjectClaim, seat.ProjectId),
            new Claim(RoleClaim, seat.Role.Name()),
            new Claim(NameClaim, seat.Personal ? "" : seat.Name),
        ]));
}

public static class ProjectUser
{
    /// <summary>The project the request works in, when one was resolved for it.</summary>
    public static string? ProjectId(this ClaimsPrincipal user) => user.FindFirstValue(ProjectAccess.ProjectClaim);

    public static ProjectRole? ProjectRole(this ClaimsPrincipal user) => ProjectRoles.Parse(user.FindFirstValue(ProjectAccess.RoleClaim));

    /// <summary>The shared project's name; empty for a personal project.</summary>
    public static string ProjectName(this ClaimsPrincipal user) => user.FindFirstValue(ProjectAccess.NameClaim) ?? "";

    public static bool May(this ClaimsPrincipal user, ProjectRole needed) => user.ProjectRole() is { } role && role >= needed;
}
