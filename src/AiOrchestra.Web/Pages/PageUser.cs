using System.Security.Claims;

namespace AiOrchestra.Web.Pages;

public static class PageUser
{
    /// <summary>The signed-in user's id: every store query of a page is scoped to it.</summary>
    public static string OwnerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The page requires a signed-in user.");

    /// <summary>htmx asks for a fragment; a plain request gets the whole page.</summary>
    public static bool IsHtmx(this HttpRequest request) => request.Headers.ContainsKey("HX-Request");

    /// <summary>A handler that answers with a fragment or the whole page varies on the HX-Request header (for caches).</summary>
    public static void VaryOnHtmx(this HttpResponse response) => response.Headers.Append("Vary", "HX-Request");
}
