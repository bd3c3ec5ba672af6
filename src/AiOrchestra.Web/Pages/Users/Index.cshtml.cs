using System.Security.Claims;
using AiOrchestra.Web.Users;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Users;

/// <summary>Administrators' page: every account, adding one (invitation link or first password), and what can be done to each.</summary>
public sealed class IndexModel(UserAdministration administration) : PageModel
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
            Done(await administration.AddWithPasswordAsync(NewUserName, password ?? "", administrator),
                $"{NewUserName.Trim()} can log in with the password you chose; they will be asked to choose their own.");
        }
        else
        {
            var (token, error) = await administration.InviteAsync(NewUserName, administrator, Me, cancellationToken);
            Invited(token, error, NewUserName.Trim());
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
        Invited(token, error, await NameAsync(id, cancellationToken));
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync(string id, CancellationToken cancellationToken) =>
        await ActAsync(id, name => $"{name} is disabled: their sessions and tokens no longer work.",
            () => administration.SetDisabledAsync(MyId, id, disabled: true, cancellationToken), cancellationToken);

    public async Task<IActionResult> OnPostEnableAsync(string id, CancellationToken cancellationToken) =>
        await ActAsync(id, name => $"{name} is enabled and can log in again.",
            () => administration.SetDisabledAsync(MyId, id, disabled: false, cancellationToken), cancellationToken);

    public async Task<IActionResult> OnPostRoleAsync(string id, bool administrator, CancellationToken cancellationToken) =>
        await ActAsync(id, name => administrator ? $"{name} is an administrator." : $"{name} is a user, no longer an administrator.",
            () => administration.SetAdministratorAsync(id, administrator, cancellationToken), cancellationToken);

    public async Task<IActionResult> OnPostResetAsync(string id, string? password, CancellationToken cancellationToken) =>
        await ActAsync(id, name => $"{name}'s password is reset: give them the new one; they will be asked to choose their own. Their sessions and tokens have ended.",
            () => administration.ResetPasswordAsync(id, password ?? "", cancellationToken), cancellationToken);

    public async Task<IActionResult> OnPostDeleteAsync(string id, string? recipient, CancellationToken cancellationToken) =>
        await ActAsync(id, name => $"{name} is deleted; their workflows, prompts and runs now belong to {Users.FirstOrDefault(u => u.Id == recipient)?.UserName}.",
            () => administration.DeleteAsync(MyId, id, recipient ?? "", cancellationToken), cancellationToken);

    private async Task<IActionResult> ActAsync(string id, Func<string, string> success, Func<Task<string?>> action, CancellationToken cancellationToken)
    {
        var name = await NameAsync(id, cancellationToken);
        var error = await action();
        await LoadAsync(cancellationToken);
        Done(error, success(name));
        return Page();
    }

    private void Invited(string? token, string? error, string name)
    {
        Done(error, $"{name} is invited. Send them this link: it works once, for {Invitation.Lifetime.TotalDays:0} days, and is shown only now.");
        if (token is not null)
        {
            InvitationLink = $"{Request.Scheme}://{Request.Host}/Account/Invitation?token={token}";
        }
    }

    private void Done(string? error, string message)
    {
        if (error is null)
        {
            Message = message;
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
