using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Workflows;

[ProjectRights(ProjectRole.Editor)]
public sealed class DeleteModel(WorkflowStore store) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    public string Name { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var workflow = await store.GetAsync(User.OwnerId(), Id, cancellationToken);
        if (workflow is null)
        {
            return NotFound();
        }
        Name = string.IsNullOrEmpty(workflow.Workflow.Name) ? Id : workflow.Workflow.Name;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken) =>
        await store.DeleteAsync(User.OwnerId(), Id, cancellationToken) ? Redirect("/Workflows") : NotFound();
}
