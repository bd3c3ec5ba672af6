using AiOrchestra.Web.Prompts;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Prompts;

public sealed class IndexModel(PromptStore store) : PageModel
{
    public IReadOnlyList<StoredPrompt> Prompts { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Prompts = await store.ListAsync(User.OwnerId(), cancellationToken);
}
