using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Prompts;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Prompts;

[ProjectRights(ProjectRole.Editor)]
public sealed class IndexModel(PromptStore store) : PageModel
{
    public IReadOnlyList<StoredPrompt> Prompts { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Prompts = await store.ListAsync(User.OwnerId(), cancellationToken);
}
