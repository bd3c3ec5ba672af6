using System.Globalization;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Ledger;

/// <summary>One day's or one workflow's LLM calls on Home.</summary>
public sealed record SpendingRow(string Label, LedgerTotals Totals);

/// <summary>
/// A user's LLM spending over the last days, per day and per workflow, read from the small daily aggregate
/// (<see cref="LlmUsageDay"/>: one row per workflow and day, a range of its primary key), never from the runs.
/// </summary>
public sealed record LlmSpending(int Days, IReadOnlyList<SpendingRow> ByDay, IReadOnlyList<SpendingRow> ByWorkflow, LedgerTotals Total)
{
    public bool IsEmpty => Total.Calls == 0;

    public static async Task<LlmSpending> LoadAsync(AppDbContext db, string ownerId, DateOnly today, int days, CancellationToken cancellationToken)
    {
        var first = today.AddDays(1 - days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        // ISO dates compare as text; (owner_id, day) is the primary key's start, so this reads only the range asked for
        var rows = await db.LlmUsageDays.AsNoTracking()
            .Where(u => u.OwnerId == ownerId && string.Compare(u.Day, first) >= 0)
            .ToListAsync(cancellationToken);
        static LedgerTotals Sum(IEnumerable<LlmUsageDay> rows) => rows.Aggregate(new LedgerTotals(), (sum, row) =>
            sum.Add(new LedgerTotals(row.Calls, row.InputTokens, row.OutputTokens, (decimal)row.Cost, row.UnpricedCalls)));
        var byDay = rows.GroupBy(r => r.Day).OrderByDescending(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SpendingRow(g.Key, Sum(g))).ToList();
        var byWorkflow = rows.GroupBy(r => r.WorkflowId).Select(g => new SpendingRow(g.Key, Sum(g)))
            .OrderByDescending(r => r.Totals.Cost).ThenByDescending(r => r.Totals.InputTokens + r.Totals.OutputTokens).ThenBy(r => r.Label, StringComparer.Ordinal)
            .ToList();
        return new LlmSpending(days, byDay, byWorkflow, Sum(rows));
    }
}
