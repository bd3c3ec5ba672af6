using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Account;

/// <summary>
/// Changing one's own password: the current one, then the new one twice. A wrong current password counts towards
/// the lockout like a failed login; other browsers signed in as the user are signed out (their security stamp is old).
/// </summary>
public sealed class PasswordModel(UserManager<AppUser> users, SignInManager<AppUser> signIn) : PageModel
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

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Challenge();
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

        var changed = await users.ChangePasswordAsync(user, Current, New);
        if (changed.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch)))
        {
            await users.AccessFailedAsync(user);
            if (await users.IsLockedOutAsync(user))
            {
                await signIn.SignOutAsync();
                return LocalRedirect("/Account/Login");
            }
            Add(nameof(Current), "That is not your current password.");
            return Page();
        }
        if (!changed.Succeeded)
        {
            changed.Errors.ToList().ForEach(e => Add(nameof(New), e.Description));
            return Page();
        }
        await users.ResetAccessFailedCountAsync(user);
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
