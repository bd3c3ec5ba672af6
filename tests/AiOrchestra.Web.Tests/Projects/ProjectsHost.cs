using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Tests.Users;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Projects;

/// <summary>The dashboard with its administrator, and a way to make shared projects with members.</summary>
public sealed class ProjectsHost : UsersHost
{
    /// <summary>A new shared project, made by the instance administrator.</summary>
    public async Task<string> NewProjectAsync(string name)
    {
        var (id, error) = await InScope<(string?, string?), ProjectStore>(store => store.CreateAsync(name, CancellationToken.None));
        Assert.Null(error);
        return id!;
    }

    /// <summary>A new user who is <paramref name="role"/> of <paramref name="projectId"/>.</summary>
    public async Task<string> MemberAsync(string projectId, ProjectRole role, string prefix = "member")
    {
        var name = NewName(prefix);
        await CreateUserAsync(name);
        var rootId = await IdOfAsync(Root);
        var error = await InScope<string?, ProjectStore>(store => store.SetMemberAsync(rootId, projectId, name, role.Name(), CancellationToken.None));
        Assert.Null(error);
        return name;
    }
}
