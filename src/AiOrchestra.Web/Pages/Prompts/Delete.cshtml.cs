using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Prompts;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Prompts;

[ProjectRights(ProjectRole.Editor)]
public sealed class DeleteModel(PromptStore store) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await store.GetAsync(User.OwnerId(), Id, cancellationToken) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken) =>
        await store.DeleteAsync(User.OwnerId(), Id, cancellationToken) ? Redirect("/Prompts") : NotFound();
}
