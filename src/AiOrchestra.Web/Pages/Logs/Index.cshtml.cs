using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages.Logs;

/// <summary>The user's runs, newest first, a page at a time, filtered by workflow, status, origin and date.</summary>
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

    [BindProperty(SupportsGet = true, Name = "page")]
    public int PageNumber { get; set; } = 1;

    /// <summary>The cursor the Older link carries: the page after it is read by a range seek, not an offset.</summary>
    [BindProperty(SupportsGet = true, Name = "before")]
    public string? Before { get; set; }

    public RunCursor? Next { get; private set; }

    public IReadOnlyList<RunRow> Runs { get; private set; } = [];
    /// <summary>The owner's workflows (deleted ones too, for their runs) by id, with their names.</summary>
    public IReadOnlyList<(string Id, string Name)> Workflows { get; private set; } = [];

    /// <summary>What the origin filter offers: what started a run, a trigger kind standing for all its triggers.</summary>
    public static IReadOnlyList<string> Origins { get; } =
        [RunOrigin.Manual, RunOrigin.Api, RunOrigin.Rerun, RunOrigin.Resume, RunOrigin.Test, .. RunOrigin.TriggerKinds, RunOrigin.Import];

    private Dictionary<string, string> _names = [];
    public bool HasMore { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var owner = User.OwnerId();
        PageNumber = Math.Max(1, PageNumber);
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
            Skip = RunCursor.TryParse(Before, out _) ? 0 : (PageNumber - 1) * PageSize,
            Before = RunCursor.TryParse(Before, out var cursor) ? cursor : null,
            Take = PageSize,
        };
        var page = await runStore.ListAsync(owner, filter, cancellationToken);
        HasMore = page.HasMore;
        Next = page.Next;
        Runs = page.Runs;
    }

    /// <summary>The workflow's name as the user gave it, or its id when it has none.</summary>
    public string NameOf(RunRow run) => _names.GetValueOrDefault(run.WorkflowId) is { Length: > 0 } name ? name : run.WorkflowId;

    public string PageUrl(int page, RunCursor? before = null) => QueryString.Create(new Dictionary<string, string?>
    {
        ["before"] = before?.ToString(),
        ["workflow"] = Workflow,
        ["status"] = Status,
        ["origin"] = Origin,
        ["from"] = From?.ToString("yyyy-MM-dd"),
        ["to"] = To?.ToString("yyyy-MM-dd"),
        ["page"] = page.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }.Where(p => !string.IsNullOrEmpty(p.Value))).ToUriComponent() is var query ? "/Logs" + query : "/Logs";
}
