using AiOrchestra.Web.Projects;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Projects;

/// <summary>The header's project switch: the chosen project is remembered in a cookie and every page works in it.</summary>
public sealed class SwitchModel(ProjectAccess access) : PageModel
{
    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync(string? project, CancellationToken cancellationToken)
    {
        var userId = User.UserId();
        if (project is not { Length: > 0 and <= 36 } || await access.SeatAsync(userId, project, cancellationToken) is null)
        {
            return NotFound();
        }
        Response.Cookies.Append(ProjectRequirement.Cookie, project, CookieOptions(Request));
        return Redirect("/");
    }

    internal static CookieOptions CookieOptions(HttpRequest request) =>
        new() { HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = request.IsHttps, IsEssential = true, MaxAge = TimeSpan.FromDays(365) };
}
