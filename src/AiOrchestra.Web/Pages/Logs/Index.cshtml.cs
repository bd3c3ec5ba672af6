using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages.Logs;

/// <summary>The user's runs, newest first, a page at a time, filtered by workflow, status, origin and date.</summary>
[ProjectRights(ProjectRole.Operator)]
public sealed class IndexModel(AppDbContext db, RunStore runStore) : PageModel
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "workflow")]
    public string? Workflow { get; set; }

    [BindProperty(SupportsGet = true, Name = "status")]
    public string? Status { get; set; }

    [BindProperty(SupportsGet = true, Name = "origin")]
    public string? Origin { get; set; }

    [BindProperty(SupportsGet = true, Name = "from")]
    public DateOnly? From { get; set; }

    [BindProperty(SupportsGet = true, Name = "to")]
    public DateOnly? To { get; set; }

    /// <summary>The cursor the Older link carries: the page after it is read by a range seek, not an offset.</summary>
    [BindProperty(SupportsGet = true, Name = "before")]
    public string? Before { get; set; }

    /// <summary>The cursor the Newer link carries: the page just above it, read by the same seek the other way.</summary>
    [BindProperty(SupportsGet = true, Name = "after")]
    public string? After { get; set; }

    /// <summary>Where the Older link starts; null on the last page.</summary>
    public RunCursor? Next { get; private set; }

    /// <summary>Where the Newer link ends; null on the first page.</summary>
    public RunCursor? Previous { get; private set; }

    public IReadOnlyList<RunRow> Runs { get; private set; } = [];
    /// <summary>The owner's workflows (deleted ones too, for their runs) by id, with their names.</summary>
    public IReadOnlyList<(string Id, string Name)> Workflows { get; private set; } = [];

    /// <summary>What the origin filter offers: what started a run, a trigger kind standing for all its triggers.</summary>
    public static IReadOnlyList<string> Origins { get; } =
        [RunOrigin.Manual, RunOrigin.Api, RunOrigin.Rerun, RunOrigin.Resume, RunOrigin.Test, .. RunOrigin.TriggerKinds, RunOrigin.Import];

    private Dictionary<string, string> _names = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var owner = User.OwnerId();
        // one small query for the filter's list and every row's name: a join on the runs' page query is not needed
        var workflows = await db.Workflows.AsNoTracking().Where(w => w.OwnerId == owner).OrderBy(w => w.WorkflowId)
            .Select(w => new { w.WorkflowId, w.Name }).ToListAsync(cancellationToken);
        Workflows = workflows.Select(w => (w.WorkflowId, w.Name)).ToList();
        _names = workflows.ToDictionary(w => w.WorkflowId, w => w.Name, StringComparer.Ordinal);

        var filter = new RunFilter
        {
            WorkflowId = string.IsNullOrEmpty(Workflow) ? null : Workflow,
            Status = Enum.TryParse<RunStatus>(Status, ignoreCase: true, out var status) ? status : null,
            Origin = string.IsNullOrEmpty(Origin) ? null : Origin,
            From = From is { } from ? new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            To = To is { } to ? new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            Before = RunCursor.TryParse(Before, out var before) ? before : null,
            After = RunCursor.TryParse(After, out var after) ? after : null,
            Take = PageSize,
        };
        var page = await runStore.ListAsync(owner, filter, cancellationToken);
        if (filter.After is not null && !page.HasNewer && page.Runs.Count < PageSize)
        {
            // back at the top with less than a page above the cursor: the first page, full, as the Logs link shows it
            page = await runStore.ListAsync(owner, filter with { After = null }, cancellationToken);
        }
        Next = page.Next;
        Previous = page.Previous;
        Runs = page.Runs;
    }

    /// <summary>The workflow's name as the user gave it, or its id when it has none.</summary>
    public string NameOf(RunRow run) => _names.GetValueOrDefault(run.WorkflowId) is { Length: > 0 } name ? name : run.WorkflowId;

    /// <summary>This list with its filters, from <paramref name="before"/> down or up to <paramref name="after"/>; the first page without either.</summary>
    public string PageUrl(RunCursor? before = null, RunCursor? after = null) => QueryString.Create(new Dictionary<string, string?>
    {
        ["before"] = before?.ToString(),
        ["after"] = after?.ToString(),
        ["workflow"] = Workflow,
        ["status"] = Status,
        ["origin"] = Origin,
        ["from"] = From?.ToString("yyyy-MM-dd"),
        ["to"] = To?.ToString("yyyy-MM-dd"),
    }.Where(p => !string.IsNullOrEmpty(p.Value))).ToUriComponent() is { Length: > 0 } query ? "/Logs" + query : "/Logs";
}
