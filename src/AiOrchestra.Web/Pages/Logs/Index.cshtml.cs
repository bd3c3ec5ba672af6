using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages.Logs;

/// <summary>What one row of the run history shows (a run without its inputs and error text).</summary>
public sealed record RunRow(string Id, string WorkflowId, int WorkflowVersionNumber, RunStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>The user's runs, newest first, a page at a time, filtered by workflow, status and date.</summary>
public sealed class IndexModel(AppDbContext db) : PageModel
{
    private const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "workflow")]
    public string? Workflow { get; set; }

    [BindProperty(SupportsGet = true, Name = "status")]
    public string? Status { get; set; }

    [BindProperty(SupportsGet = true, Name = "from")]
    public DateOnly? From { get; set; }

    [BindProperty(SupportsGet = true, Name = "to")]
    public DateOnly? To { get; set; }

    [BindProperty(SupportsGet = true, Name = "page")]
    public int PageNumber { get; set; } = 1;

    public IReadOnlyList<RunRow> Runs { get; private set; } = [];
    public IReadOnlyList<string> WorkflowIds { get; private set; } = [];
    public bool HasMore { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var owner = User.OwnerId();
        PageNumber = Math.Max(1, PageNumber);
        WorkflowIds = await db.Workflows.AsNoTracking().Where(w => w.OwnerId == owner).OrderBy(w => w.WorkflowId)
            .Select(w => w.WorkflowId).ToListAsync(cancellationToken);

        var runs = db.Runs.AsNoTracking().Where(r => r.OwnerId == owner);
        if (!string.IsNullOrEmpty(Workflow))
        {
            runs = runs.Where(r => r.WorkflowId == Workflow);
        }
        if (Enum.TryParse<RunStatus>(Status, ignoreCase: true, out var status))
        {
            runs = runs.Where(r => r.Status == status);
        }
        if (From is { } from)
        {
            var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            runs = runs.Where(r => r.CreatedAt >= start);
        }
        if (To is { } to)
        {
            var end = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            runs = runs.Where(r => r.CreatedAt < end);
        }
        // newest first along the (owner, [workflow | status,] created_at desc) indexes, one page plus one row to know
        // whether there is more; no count of all runs, and only the columns a row shows
        var page = await runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
            .Skip((PageNumber - 1) * PageSize).Take(PageSize + 1)
            .Select(r => new RunRow(r.Id, r.WorkflowId, r.WorkflowVersionNumber, r.Status, r.CreatedAt, r.StartedAt, r.FinishedAt))
            .ToListAsync(cancellationToken);
        HasMore = page.Count > PageSize;
        Runs = page.Take(PageSize).ToList();
    }

    public string PageUrl(int page) => QueryString.Create(new Dictionary<string, string?>
    {
        ["workflow"] = Workflow,
        ["status"] = Status,
        ["from"] = From?.ToString("yyyy-MM-dd"),
        ["to"] = To?.ToString("yyyy-MM-dd"),
        ["page"] = page.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }.Where(p => !string.IsNullOrEmpty(p.Value))).ToUriComponent() is var query ? "/Logs" + query : "/Logs";
}
