using AiOrchestra.Web.Audit;
using System.Security.Claims;
using AiOrchestra.Web.Users;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Users;

/// <summary>Administrators' page: every account, adding one (invitation link or first password), and what can be done to each.</summary>
public sealed class IndexModel(UserAdministration administration, AuditLog audit) : PageModel
{
    public List<UserRow> Users { get; private set; } = [];

    /// <summary>What was done, or why nothing was.</summary>
    public string? Message { get; private set; }

    public string? Error { get; private set; }

    /// <summary>A new invitation's link: shown once, since only its hash is kept.</summary>
    public string? InvitationLink { get; private set; }

    /// <summary>The new user's name, kept in the form when adding failed.</summary>
    [BindProperty]
    public string NewUserName { get; set => field = value ?? ""; } = "";

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAddAsync(string? mode, string? password, bool administrator, CancellationToken cancellationToken)
    {
        if (mode == "password")
        {
            await DoneAsync("user.added", NewUserName.Trim(), administrator ? "administrator, first password" : "user, first password",
                await administration.AddWithPasswordAsync(NewUserName, password ?? "", administrator),
                $"{NewUserName.Trim()} can log in with the password you chose; they will be asked to choose their own.");
        }
        else
        {
            var (token, error) = await administration.InviteAsync(NewUserName, administrator, Me, cancellationToken);
            await InvitedAsync(token, error, NewUserName.Trim(), administrator ? "administrator" : "user");
        }
        if (Error is null)
        {
            NewUserName = "";
        }
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostReinviteAsync(string id, CancellationToken cancellationToken)
    {
        var (token, error) = await administration.ReinviteAsync(id, Me, cancellationToken);
        await InvitedAsync(token, error, await NameAsync(id, cancellationToken), "new link");
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync(string id, CancellationToken cancellationToken) =>
        await ActAsync(id, "user.disabled", name => $"{name} is disabled: their sessions and tokens no longer work.",
            () => administration.SetDisabledAsync(MyId, id, disabled: true, cancellationToken), cancellationToken);

    public async Task<IActionResult> OnPostEnableAsync(string id, CancellationToken cancellationToken) =>
        await ActAsync(id, "user.enabled", name => $"{name} is enabled and can log in again.",
            () => administration.SetDisabledAsync(MyId, id, disabled: false, cancellationToken), cancellationToken);

    public async Task<IActionResult> OnPostRoleAsync(string id, bool administrator, CancellationToken cancellationToken) =>
        await ActAsync(id, administrator ? "user.made-administrator" : "user.made-user", name => administrator ? $"{name} is an administrator." : $"{name} is a user, no longer an administrator.",
            () => administration.SetAdministratorAsync(id, administrator, cancellationToken), cancellationToken);

    public async Task<IActionResult> OnPostResetAsync(string id, string? password, CancellationToken cancellationToken) =>
        await ActAsync(id, "user.password-reset", name => $"{name}'s password is reset: give them the new one; they will be asked to choose their own. Their sessions and tokens have ended.",
            () => administration.ResetPasswordAsync(id, password ?? "", cancellationToken), cancellationToken);

    public async Task<IActionResult> OnPostDeleteAsync(string id, string? recipient, CancellationToken cancellationToken) =>
        await ActAsync(id, "user.deleted", name => $"{name} is deleted; their workflows, prompts and runs now belong to {Users.FirstOrDefault(u => u.Id == recipient)?.UserName}.",
            () => administration.DeleteAsync(MyId, id, recipient ?? "", cancellationToken), cancellationToken);

    private async Task<IActionResult> ActAsync(string id, string auditAction, Func<string, string> success, Func<Task<string?>> action, CancellationToken cancellationToken)
    {
        var name = await NameAsync(id, cancellationToken);
        var error = await action();
        await LoadAsync(cancellationToken);
        var message = success(name);
        await DoneAsync(auditAction, name, auditAction == "user.deleted" ? message : null, error, message);
        return Page();
    }

    private async Task InvitedAsync(string? token, string? error, string name, string detail)
    {
        await DoneAsync("user.invited", name, detail, error,
            $"{name} is invited. Send them this link: it works once, for {Invitation.Lifetime.TotalDays:0} days, and is shown only now.");
        if (token is not null)
        {
            InvitationLink = $"{Request.Scheme}://{Request.Host}/Account/Invitation?token={token}";
        }
    }

    private async Task DoneAsync(string auditAction, string target, string? detail, string? error, string message)
    {
        if (error is null)
        {
            Message = message;
            await audit.WriteAsync(auditAction, target, detail, cancellationToken: HttpContext.RequestAborted);
        }
        else
        {
            Error = error;
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
    }

    private async Task<string> NameAsync(string id, CancellationToken cancellationToken)
    {
        if (Users.Count == 0)
        {
            await LoadAsync(cancellationToken);
        }
        return Users.FirstOrDefault(u => u.Id == id)?.UserName ?? "That account";
    }

    private async Task LoadAsync(CancellationToken cancellationToken) => Users = await administration.ListAsync(cancellationToken);

    public string MyId => User.FindFirstValue(ClaimTypes.NameIdentifier)!;

    private string Me => User.Identity?.Name ?? MyId;
}
