using System.Security.Claims;

namespace AiOrchestra.Web.Pages;

public static class PageUser
{
    /// <summary>The current project's id (the user's own id for their personal project): every store query of a page is scoped to it.</summary>
    public static string OwnerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(AiOrchestra.Web.Projects.ProjectAccess.ProjectClaim)
        ?? user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The page requires a signed-in user.");

    /// <summary>The signed-in user's own id, for what is theirs rather than their project's (tokens, password).</summary>
    public static string UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The page requires a signed-in user.");
}
