using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages.Logs;

/// <summary>The user's runs, newest first, a page at a time, filtered by workflow, status and date.</summary>
public sealed class IndexModel(AppDbContext db, RunStore runStore) : PageModel
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

        var filter = new RunFilter
        {
            WorkflowId = string.IsNullOrEmpty(Workflow) ? null : Workflow,
            Status = Enum.TryParse<RunStatus>(Status, ignoreCase: true, out var status) ? status : null,
            From = From is { } from ? new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            To = To is { } to ? new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            Skip = (PageNumber - 1) * PageSize,
            Take = PageSize,
        };
        var page = await runStore.ListAsync(owner, filter, cancellationToken);
        HasMore = page.HasMore;
        Runs = page.Runs;
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
