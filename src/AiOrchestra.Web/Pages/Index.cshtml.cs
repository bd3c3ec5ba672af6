using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages;

[ProjectRights(ProjectRole.Editor)]
public sealed class IndexModel(AppDbContext db, TimeProvider time) : PageModel
{
    private const int ChartDays = 14;

    public int WorkflowCount { get; private set; }
    public int PromptCount { get; private set; }
    public long RunCount { get; private set; }
    public double? SuccessRate { get; private set; }

    /// <summary>Runs paused at an approval or wait step: someone may have to answer them.</summary>
    public long WaitingCount { get; private set; }
    public IReadOnlyList<Run> Recent { get; private set; } = [];
    public IReadOnlyList<RunsOnDay> Days { get; private set; } = [];

    /// <summary>LLM calls, tokens and cost per workflow and per day over the chart's days.</summary>
    public Ledger.LlmSpending Spending { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var owner = User.OwnerId();
        WorkflowCount = await db.Workflows.CountAsync(w => w.OwnerId == owner && w.DeletedAt == null, cancellationToken);
        PromptCount = await db.Prompts.CountAsync(p => p.OwnerId == owner, cancellationToken);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        Spending = await Ledger.LlmSpending.LoadAsync(db, owner, today, ChartDays, cancellationToken);
        var first = today.AddDays(1 - ChartDays);
        var figures = await RunFigures.ReadAsync(db, owner, first, cancellationToken);
        RunCount = figures.Total;
        var succeeded = figures.Of(RunStatus.Succeeded);
        var finished = succeeded + figures.Of(RunStatus.Failed) + figures.Of(RunStatus.Cancelled);
        WaitingCount = figures.Of(RunStatus.Waiting);
        SuccessRate = finished == 0 ? null : 100.0 * succeeded / finished;
        Recent = await db.Runs.AsNoTracking().Where(r => r.OwnerId == owner).OrderByDescending(r => r.CreatedAt).Take(10).ToListAsync(cancellationToken);
        Days = Enumerable.Range(0, ChartDays).Select(i => first.AddDays(i)).Select(day =>
        {
            var (total, failed) = figures.OnDay(day);
            return new RunsOnDay(day, (int)total, (int)failed);
        }).ToList();
    }
}
