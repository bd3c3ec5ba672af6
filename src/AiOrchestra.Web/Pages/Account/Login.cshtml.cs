using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages.Account;

public sealed class LoginModel(SignInManager<AppUser> signIn, AppDbContext db) : PageModel
{
    // model binding turns an empty field into null; "" keeps the checks below simple
    [BindProperty]
    public string UserName { get; set => field = value ?? ""; } = "";

    [BindProperty]
    public string Password { get; set => field = value ?? ""; } = "";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Message { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        // with nobody to log in as, the first visit creates the administrator
        if (!await db.Users.AnyAsync(cancellationToken))
        {
            return RedirectToPage("/Account/Setup");
        }
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (string.IsNullOrWhiteSpace(UserName) || Password.Length == 0)
        {
            Message = "Type your user name and your password.";
            return Page();
        }
        var result = await signIn.PasswordSignInAsync(UserName, Password, isPersistent: true, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
        }
        Message = result.IsLockedOut
            ? "Too many failed attempts: this account is locked for a few minutes. Try again later."
            : "The user name or password is wrong.";
        Response.StatusCode = StatusCodes.Status200OK;
        return Page();
    }
}
