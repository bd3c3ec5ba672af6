using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Versions;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Workflows;

/// <summary>Two versions of a workflow side by side, and restoring an earlier version as the newest.</summary>
[ProjectRights(ProjectRole.Editor)]
public sealed class DiffModel(WorkflowStore store) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public int? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public int? To { get; set; }

    public IReadOnlyList<WorkflowVersionSummary> Versions { get; private set; } = [];

    public SideBySideDiff? Diff { get; private set; }

    /// <summary>Why no diff is shown (a version that does not exist), or why a restore was refused.</summary>
    public string? Problem { get; private set; }

    public int Current => Versions.Count > 0 ? Versions[0].Number : 0;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        Versions = await store.ListVersionsAsync(User.OwnerId(), Id, cancellationToken);
        if (Versions.Count == 0)
        {
            return NotFound();
        }
        To ??= Current;
        From ??= Math.Max(1, To.Value - 1);
        (Diff, Problem) = await store.DiffAsync(User.OwnerId(), Id, From.Value, To.Value, cancellationToken);
        return Page();
    }

    /// <summary>Saves version <paramref name="version"/> again as the newest and shows what that changed against the one before.</summary>
    public async Task<IActionResult> OnPostRestoreAsync(int version, CancellationToken cancellationToken)
    {
        var saved = await store.RestoreAsync(User.OwnerId(), Id, version, cancellationToken);
        if (saved is null)
        {
            return NotFound();
        }
        if (saved.Saved is { } restored)
        {
            return Redirect($"/Workflows/Diff/{Uri.EscapeDataString(Id)}?from={restored.Version - 1}&to={restored.Version}");
        }
        Problem = saved.Errors.Count > 0
            ? $"Version {version} was not restored: {string.Join("; ", saved.Errors)}"
            : $"Version {version} was not restored: the workflow was changed at the same time; try again.";
        return await OnGetAsync(cancellationToken);
    }
}
