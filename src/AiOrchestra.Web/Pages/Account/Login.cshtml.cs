using AiOrchestra.Web.Audit;
using AiOrchestra.Web.Account;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages.Account;

public sealed class LoginModel(SignInManager<AppUser> signIn, PasswordCheck passwords, LoginAttempts attempts, AppDbContext db, AuditLog audit) : PageModel
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
        // the address's budget of attempts is the API login's: one budget however the password is sent
        if (attempts.Take(HttpContext) is { } wait)
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Message = attempts.Refusal(wait);
            return Page();
        }
        if (string.IsNullOrWhiteSpace(UserName) || Password.Length == 0)
        {
            Message = "Type your user name and your password.";
            return Page();
        }
        // the same message for an unknown name, a wrong password and a locked account: the page does not tell which names exist
        var user = await passwords.CheckAsync(UserName, Password);
        await audit.WriteAsync(user is { Disabled: false } ? "sign-in.succeeded" : "sign-in.failed", UserName.Trim(),
            user is null ? "dashboard" : user.Disabled ? "dashboard, account disabled" : "dashboard", (user?.Id, UserName.Trim()));
        if (user is null)
        {
            Message = passwords.FailureMessage;
            return Page();
        }
        if (user.Disabled)
        {
            Message = PasswordCheck.DisabledMessage;
            return Page();
        }
        await signIn.SignInAsync(user, isPersistent: true);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}
