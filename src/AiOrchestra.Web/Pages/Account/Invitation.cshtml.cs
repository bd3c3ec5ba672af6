using AiOrchestra.Web.Audit;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Account;

/// <summary>An invited user chooses their password with the link an administrator sent; the link then stops working.</summary>
public sealed class InvitationModel(UserAdministration administration, SignInManager<AppUser> signIn, AuditLog audit) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty]
    public string Password { get; set => field = value ?? ""; } = "";

    [BindProperty]
    public string Confirm { get; set => field = value ?? ""; } = "";

    public string? UserName { get; private set; }

    /// <summary>Why the link cannot be used (unknown, used, expired); the form is not shown.</summary>
    public string? Refusal { get; private set; }

    public List<string> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var (_, user, refusal) = await administration.FindInvitationAsync(Token, cancellationToken);
        return Show(user, refusal);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var (invitation, user, refusal) = await administration.FindInvitationAsync(Token, cancellationToken);
        if (invitation is null || user is null)
        {
            return Show(user, refusal);
        }
        UserName = user.UserName;
        if (Password.Length == 0)
        {
            Errors.Add("Choose a password.");
        }
        else if (Password != Confirm)
        {
            Errors.Add("The two passwords differ; type the same password twice.");
        }
        if (Errors.Count == 0)
        {
            var accepted = await administration.AcceptAsync(invitation, user, Password, cancellationToken);
            if (accepted.Succeeded)
            {
                await audit.WriteAsync("user.invitation-accepted", user.UserName ?? "", actor: (user.Id, user.UserName ?? ""), cancellationToken: cancellationToken);
                await signIn.SignInAsync(user, isPersistent: true);
                return Redirect("/");
            }
            Errors.AddRange(accepted.Errors.Select(e => e.Description));
        }
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private IActionResult Show(AppUser? user, string? refusal)
    {
        UserName = user?.UserName;
        Refusal = refusal;
        if (refusal is not null)
        {
            Response.StatusCode = StatusCodes.Status410Gone;
        }
        return Page();
    }
}
