using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// How many runs there are by status and by day of creation, without reading every run: finished runs from the
/// counts the database keeps (<see cref="RunCount"/>), runs not finished yet (few) from the runs along their status
/// index. Reading them costs the same with a thousand runs stored or ten million.
/// </summary>
public sealed class RunFigures
{
    private readonly Dictionary<RunStatus, long> _byStatus = [];
    private readonly Dictionary<long, (long Total, long Failed)> _byDay = [];

    private RunFigures()
    {
    }

    /// <summary>Every run, whatever its status.</summary>
    public long Total => _byStatus.Values.Sum();

    public long Of(RunStatus status) => _byStatus.GetValueOrDefault(status);

    /// <summary>Runs created on the day (UTC) that was asked for, and how many of them failed.</summary>
    public (long Total, long Failed) OnDay(DateOnly day) => _byDay.GetValueOrDefault(day.DayNumber - Epoch);

    private static readonly int Epoch = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    /// <summary>The owner's runs by status, and by day from <paramref name="since"/> on.</summary>
    public static async Task<RunFigures> ReadAsync(AppDbContext db, string ownerId, DateOnly since, CancellationToken cancellationToken)
    {
        var figures = new RunFigures();
        var firstDay = since.DayNumber - Epoch;
        var finished = await db.RunCounts.Where(c => c.OwnerId == ownerId).GroupBy(c => c.Status)
            .Select(g => new { Status = g.Key, Runs = g.Sum(c => c.Runs) }).ToListAsync(cancellationToken);
        foreach (var count in finished)
        {
            figures._byStatus[count.Status] = count.Runs;
        }
        var recent = await db.RunCounts.AsNoTracking().Where(c => c.OwnerId == ownerId && c.Day >= firstDay).ToListAsync(cancellationToken);
        foreach (var count in recent)
        {
            figures.AddDay(count.Status, count.Day, count.Runs);
        }
        // created_at is stored as Unix milliseconds (see AppDbContext); the status list keeps the read to the index
        var unfinished = await db.Database.SqlQuery<Unfinished>(
            $"""
            SELECT status AS Status, created_at / 86400000 AS Day, COUNT(*) AS Runs FROM runs
            WHERE owner_id = {ownerId} AND status IN ('queued', 'running', 'waiting') GROUP BY status, created_at / 86400000
            """).ToListAsync(cancellationToken);
        foreach (var count in unfinished)
        {
            var status = Enum.Parse<RunStatus>(count.Status, ignoreCase: true);
            figures._byStatus[status] = figures._byStatus.GetValueOrDefault(status) + count.Runs;
            if (count.Day >= firstDay)
            {
                figures.AddDay(status, count.Day, count.Runs);
            }
        }
        return figures;
    }

    /// <summary>Every run stored, of every owner.</summary>
    public static async Task<long> CountAllAsync(AppDbContext db, CancellationToken cancellationToken) =>
        await db.RunCounts.SumAsync(c => c.Runs, cancellationToken)
        + await db.Runs.LongCountAsync(r => r.Status == RunStatus.Queued || r.Status == RunStatus.Running || r.Status == RunStatus.Waiting, cancellationToken);

    private void AddDay(RunStatus status, long day, long runs)
    {
        var (total, failed) = _byDay.GetValueOrDefault(day);
        _byDay[day] = (total + runs, failed + (status == RunStatus.Failed ? runs : 0));
    }

    private sealed record Unfinished(string Status, long Day, long Runs);
}
