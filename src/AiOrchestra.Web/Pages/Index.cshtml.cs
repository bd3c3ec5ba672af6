using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages;

public sealed class IndexModel(AppDbContext db, TimeProvider time) : PageModel
{
    private const int ChartDays = 14;

    public int WorkflowCount { get; private set; }
    public int PromptCount { get; private set; }
    public int RunCount { get; private set; }
    public double? SuccessRate { get; private set; }
    public IReadOnlyList<Run> Recent { get; private set; } = [];
    public IReadOnlyList<RunsOnDay> Days { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var owner = User.OwnerId();
        WorkflowCount = await db.Workflows.CountAsync(w => w.OwnerId == owner && w.DeletedAt == null, cancellationToken);
        PromptCount = await db.Prompts.CountAsync(p => p.OwnerId == owner, cancellationToken);
        var runs = db.Runs.AsNoTracking().Where(r => r.OwnerId == owner);
        RunCount = await runs.CountAsync(cancellationToken);
        var succeeded = await runs.CountAsync(r => r.Status == RunStatus.Succeeded, cancellationToken);
        var finished = await runs.CountAsync(r => r.Status == RunStatus.Succeeded || r.Status == RunStatus.Failed || r.Status == RunStatus.Cancelled, cancellationToken);
        SuccessRate = finished == 0 ? null : 100.0 * succeeded / finished;
        Recent = await runs.OrderByDescending(r => r.CreatedAt).Take(10).ToListAsync(cancellationToken);

        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var first = today.AddDays(1 - ChartDays);
        var since = new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var recent = await runs.Where(r => r.CreatedAt >= since).Select(r => new { r.CreatedAt, r.Status }).ToListAsync(cancellationToken);
        var byDay = recent.GroupBy(r => DateOnly.FromDateTime(r.CreatedAt.UtcDateTime)).ToDictionary(g => g.Key, g => g.ToList());
        Days = Enumerable.Range(0, ChartDays).Select(i => first.AddDays(i)).Select(day => byDay.TryGetValue(day, out var list)
            ? new RunsOnDay(day, list.Count, list.Count(r => r.Status == RunStatus.Failed))
            : new RunsOnDay(day, 0, 0)).ToList();
    }
}
