using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Workflows;

/// <summary>Moves a workflow, with its versions, runs and triggers, to another project where the user is an editor too.</summary>
[ProjectRights(ProjectRole.Editor, View = ProjectRole.Editor)]
public sealed class MoveModel(WorkflowStore workflows, ProjectStore projects, ProjectAccess access) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    public string Name { get; private set; } = "";

    /// <summary>The other projects the user may move it to: where they are an editor or admin.</summary>
    public List<ProjectSeat> Targets { get; private set; } = [];

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(string? project, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return NotFound();
        }
        var seat = project is { Length: > 0 and <= 36 } ? await access.SeatAsync(User.UserId(), project, cancellationToken) : null;
        Error = seat switch
        {
            null => "Choose one of your projects to move the workflow to.",
            { Role: < ProjectRole.Editor } => ProjectRequirement.Refusal(seat, ProjectRole.Editor, "Moving a workflow into a project"),
            _ => await projects.MoveWorkflowAsync(User.OwnerId(), Id, seat.ProjectId, cancellationToken),
        };
        if (Error is not null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        // the workflow is there now: so is the user
        Response.Cookies.Append(ProjectRequirement.Cookie, seat!.ProjectId, Projects.SwitchModel.CookieOptions(Request));
        return Redirect($"/Workflows/Edit/{Uri.EscapeDataString(Id)}");
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        if (await workflows.GetAsync(User.OwnerId(), Id, cancellationToken) is not { } stored)
        {
            return false;
        }
        Name = string.IsNullOrEmpty(stored.Workflow.Name) ? Id : stored.Workflow.Name;
        Targets = (await projects.ListAsync(User.UserId(), cancellationToken))
            .Where(p => p.ProjectId != User.OwnerId() && p.Role >= ProjectRole.Editor).ToList();
        return true;
    }
}
