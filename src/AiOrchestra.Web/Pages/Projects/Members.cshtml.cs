using AiOrchestra.Web.Projects;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Projects;

/// <summary>The current project's members and their roles, for its admins.</summary>
[ProjectRights(ProjectRole.Admin, View = ProjectRole.Admin)]
public sealed class MembersModel(ProjectStore projects) : PageModel
{
    public List<MemberRow> Members { get; private set; } = [];

    public string ProjectName => User.ProjectName();

    public bool Personal => User.OwnerId() == User.UserId();

    public string? Message { get; private set; }

    public string? Error { get; private set; }

    [BindProperty]
    public string UserName { get; set => field = value ?? ""; } = "";

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Members = await projects.MembersAsync(User.OwnerId(), cancellationToken);

    public async Task<IActionResult> OnPostSetAsync(string? role, CancellationToken cancellationToken) =>
        await AnswerAsync(await projects.SetMemberAsync(User.UserId(), User.OwnerId(), UserName, role, cancellationToken), $"{UserName.Trim()} is {role} now.", cancellationToken);

    public async Task<IActionResult> OnPostRemoveAsync(string? userId, CancellationToken cancellationToken) =>
        await AnswerAsync(await projects.RemoveMemberAsync(User.UserId(), User.OwnerId(), userId ?? "", cancellationToken), "Removed.", cancellationToken);

    private async Task<IActionResult> AnswerAsync(string? error, string done, CancellationToken cancellationToken)
    {
        Error = error;
        Message = error is null ? done : null;
        if (error is not null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else
        {
            UserName = "";
        }
        await OnGetAsync(cancellationToken);
        return Page();
    }
}
