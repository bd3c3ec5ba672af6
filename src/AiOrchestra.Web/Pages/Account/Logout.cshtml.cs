using AiOrchestra.Web.Account;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Account;

/// <summary>
/// Logging out ends the session on the server too: a new security stamp refuses every cookie and API token of the
/// user issued before (a captured cookie no longer works), at once in this process and within a minute in others.
/// </summary>
public sealed class LogoutModel(SignInManager<AppUser> signIn, UserManager<AppUser> users, SignedOutStamps stamps) : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is { } user)
        {
            await users.UpdateSecurityStampAsync(user);
            stamps.Remember(user.Id, user.SecurityStamp!);
        }
        await signIn.SignOutAsync();
        return RedirectToPage("/Account/Login");
    }
}
