using System.Security.Claims;

namespace AiOrchestra.Web.Pages;

public static class PageUser
{
    /// <summary>The signed-in user's id: every store query of a page is scoped to it.</summary>
    public static string OwnerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The page requires a signed-in user.");
}
