using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages;

/// <summary>How a page handler answers a form that htmx posted, and the same form posted plainly.</summary>
public static class Htmx
{
    /// <summary>htmx asks for a fragment; a plain request gets the whole page.</summary>
    public static bool IsHtmx(this HttpRequest request) => request.Headers.ContainsKey("HX-Request");

    /// <summary>A handler that answers with a fragment or the whole page varies on the HX-Request header (for caches).</summary>
    public static void VaryOnHtmx(this HttpResponse response) => response.Headers.Append("Vary", "HX-Request");

    /// <summary>
    /// Goes to <paramref name="url"/> after a post: htmx is told to load it as a page (HX-Redirect; a redirect would be
    /// followed by fetch and its whole page swapped into the form), a plain form post gets a 302.
    /// </summary>
    public static IActionResult NavigateTo(this PageModel page, string url)
    {
        page.Response.VaryOnHtmx();
        if (page.Request.IsHtmx())
        {
            page.Response.Headers["HX-Redirect"] = url;
            return new OkResult();
        }
        return new RedirectResult(url);
    }
}
