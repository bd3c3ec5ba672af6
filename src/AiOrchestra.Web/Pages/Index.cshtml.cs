using System.Runtime.CompilerServices;
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
        // one pass over the (owner, status, created_at) index instead of a count per figure
        var byStatus = await runs.GroupBy(r => r.Status).Select(g => new { Status = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        RunCount = byStatus.Sum(s => s.Count);
        var succeeded = byStatus.Where(s => s.Status == RunStatus.Succeeded).Sum(s => s.Count);
        var finished = byStatus.Where(s => s.Status.IsFinished()).Sum(s => s.Count);
        SuccessRate = finished == 0 ? null : 100.0 * succeeded / finished;
        Recent = await runs.OrderByDescending(r => r.CreatedAt).Take(10).ToListAsync(cancellationToken);

        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var first = today.AddDays(1 - ChartDays);
        var since = new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        // counted per day in SQL (created_at is stored as Unix milliseconds, see AppDbContext); naming every status
        // lets SQLite read the (owner, status, created_at) index alone instead of every run row
        var sinceMs = since.ToUnixTimeMilliseconds();
        object[] statuses = [.. Enum.GetValues<RunStatus>().Select(s => s.ToText())];
        var inList = string.Join(", ", statuses.Select((_, i) => "{" + (i + 3) + "}"));
        var sql = FormattableStringFactory.Create(
            "SELECT created_at / 86400000 AS \"Day\", COUNT(*) AS \"Total\", SUM(CASE WHEN status = {0} THEN 1 ELSE 0 END) AS \"Failed\" FROM runs " +
            $"WHERE owner_id = {{1}} AND status IN ({inList}) AND created_at >= {{2}} GROUP BY created_at / 86400000",
            [RunStatus.Failed.ToText(), owner, sinceMs, .. statuses]);
        var counts = await db.Database.SqlQuery<DayCount>(sql)
            .ToListAsync(cancellationToken);
        var byDay = counts.ToDictionary(c => DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)c.Day));
        Days = Enumerable.Range(0, ChartDays).Select(i => first.AddDays(i)).Select(day => byDay.TryGetValue(day, out var count)
            ? new RunsOnDay(day, (int)count.Total, (int)count.Failed)
            : new RunsOnDay(day, 0, 0)).ToList();
    }

    private sealed record DayCount(long Day, long Total, long Failed);
}
