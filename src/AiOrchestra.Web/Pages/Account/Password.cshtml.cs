using AiOrchestra.Web.Account;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Account;

/// <summary>
/// Changing one's own password: the current one, then the new one twice. The current one is checked as the login
/// checks it (a wrong one counts towards the lockout, a locked account is refused whatever the password), so a
/// signed-in browser is no way around the lockout; other browsers signed in as the user are signed out (their
/// security stamp is old).
/// </summary>
public sealed class PasswordModel(UserManager<AppUser> users, SignInManager<AppUser> signIn, PasswordCheck passwords, LoginAttempts attempts) : PageModel
{
    // model binding turns an empty field into null; "" keeps the checks below simple
    [BindProperty]
    public string Current { get; set => field = value ?? ""; } = "";

    [BindProperty]
    public string New { get; set => field = value ?? ""; } = "";

    [BindProperty]
    public string Confirm { get; set => field = value ?? ""; } = "";

    /// <summary>What is wrong, by the field it concerns (Current, New, Confirm).</summary>
    public Dictionary<string, List<string>> Errors { get; } = [];

    public bool Changed { get; private set; }

    /// <summary>An administrator chose the password: the user must choose their own before using the dashboard.</summary>
    public bool MustChange { get; private set; }

    /// <summary>Why the form was not looked at: too many attempts from this address.</summary>
    public string? Refused { get; private set; }

    public async Task OnGetAsync() => MustChange = (await users.GetUserAsync(User))?.MustChangePassword == true;

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Challenge();
        }
        // guessing the current password here spends the same budget as the login page and the API login
        if (attempts.Take(HttpContext) is { } wait)
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Refused = attempts.Refusal(wait);
            return Page();
        }
        if (Current.Length == 0)
        {
            Add(nameof(Current), "Type your current password.");
        }
        if (New.Length == 0)
        {
            Add(nameof(New), "Choose a new password.");
        }
        else if (New != Confirm)
        {
            Add(nameof(Confirm), "The two new passwords differ; type the same password twice.");
        }
        if (Errors.Count > 0)
        {
            return Page();
        }

        if (await passwords.CheckAsync(user.UserName!, Current) is null)
        {
            if (await users.IsLockedOutAsync(user))
            {
                // every browser of the account signs out, not only this one
                await passwords.NewStampAsync(user);
                await signIn.SignOutAsync();
                return LocalRedirect("/Account/Login");
            }
            Add(nameof(Current), "That is not your current password. " + passwords.LockoutRule);
            return Page();
        }
        var changed = await users.ChangePasswordAsync(user, Current, New);
        if (!changed.Succeeded)
        {
            foreach (var error in changed.Errors)
            {
                Add(nameof(New), error.Description);
            }
            return Page();
        }
        if (user.MustChangePassword)
        {
            user.MustChangePassword = false;
            await users.UpdateAsync(user);
        }
        // this browser stays signed in, with the new security stamp
        await signIn.RefreshSignInAsync(user);
        Changed = true;
        return Page();
    }

    private void Add(string field, string message)
    {
        if (!Errors.TryGetValue(field, out var messages))
        {
            Errors[field] = messages = [];
        }
        messages.Add(message);
    }
}
