using AiOrchestra.Web.Account;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Account;

/// <summary>
/// Logging out ends the session on the server too: a new security stamp refuses every cookie and API token of the
/// user issued before (a captured cookie no longer works), at once in this process and within seconds in others.
/// </summary>
public sealed class LogoutModel(SignInManager<AppUser> signIn, UserManager<AppUser> users, PasswordCheck passwords) : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (await users.GetUserAsync(User) is { } user)
        {
            await passwords.NewStampAsync(user);
        }
        await signIn.SignOutAsync();
        return RedirectToPage("/Account/Login");
    }
}
