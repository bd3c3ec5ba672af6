using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Versions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Prompts;

/// <summary>Two versions of a prompt side by side, and restoring an earlier version as the newest.</summary>
[ProjectRights(ProjectRole.Editor)]
public sealed class DiffModel(PromptStore store) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public int? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public int? To { get; set; }

    public IReadOnlyList<PromptVersion> Versions { get; private set; } = [];

    public SideBySideDiff? Diff { get; private set; }

    /// <summary>Why no diff is shown (a version that does not exist), or why a restore was refused.</summary>
    public string? Problem { get; private set; }

    public int Current => Versions.Count > 0 ? Versions[0].Number : 0;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        Versions = await store.VersionsAsync(User.OwnerId(), Id, cancellationToken) ?? [];
        if (Versions.Count == 0)
        {
            return NotFound();
        }
        To ??= Current;
        From ??= Math.Max(1, To.Value - 1);
        (Diff, Problem) = await store.DiffAsync(User.OwnerId(), Id, From.Value, To.Value, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRestoreAsync(int version, CancellationToken cancellationToken)
    {
        var saved = await store.RestoreAsync(User.OwnerId(), Id, version, cancellationToken);
        if (saved is null)
        {
            return NotFound();
        }
        if (saved.Outcome == SaveOutcome.Saved)
        {
            return Redirect($"/Prompts/Diff/{Uri.EscapeDataString(Id)}");
        }
        Problem = saved.Errors.Count > 0
            ? $"Version {version} was not restored: {string.Join("; ", saved.Errors)}"
            : $"Version {version} was not restored: the prompt was changed at the same time; try again.";
        return await OnGetAsync(cancellationToken);
    }
}
