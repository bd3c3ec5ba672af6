namespace AiOrchestra.Web.Projects;

/// <summary>
/// What a member may do in a project, each role including the ones below it: <c>viewer</c> reads, <c>operator</c> also
/// runs, cancels and approves, <c>editor</c> also changes workflows, prompts and triggers, <c>admin</c> also the
/// project's settings, members and credentials. A user is <c>admin</c> of their personal project.
/// </summary>
public enum ProjectRole
{
    Viewer = 1,
    Operator = 2,
    Editor = 3,
    Admin = 4,
}

public static class ProjectRoles
{
    public static readonly ProjectRole[] All = [ProjectRole.Viewer, ProjectRole.Operator, ProjectRole.Editor, ProjectRole.Admin];

    public static string Name(this ProjectRole role) => role.ToString().ToLowerInvariant();

    public static ProjectRole? Parse(string? name) =>
        All.Where(r => string.Equals(r.Name(), name?.Trim(), StringComparison.OrdinalIgnoreCase)).Select(r => (ProjectRole?)r).FirstOrDefault();

    /// <summary>What the role is for, in the words the members page and the refusals use.</summary>
    public static string Describe(this ProjectRole role) => role switch
    {
        ProjectRole.Viewer => "read only",
        ProjectRole.Operator => "run, cancel, approve and view",
        ProjectRole.Editor => "workflows, prompts, triggers and runs",
        _ => "project settings, members and credentials",
    };
}
