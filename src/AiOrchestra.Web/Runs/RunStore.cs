using System.Text.Json.Nodes;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>A run with its steps in order, as stored.</summary>
public sealed record RunDetails(Run Run, IReadOnlyList<RunStep> Steps);

/// <summary>Which of the owner's runs to list: newest first, optionally one status or one workflow.</summary>
public sealed record RunFilter
{
    public RunStatus? Status { get; init; }
    public string? WorkflowId { get; init; }
    public int Skip { get; init; }
    public int Take { get; init; } = 50;
}

/// <summary>One page of runs and whether there are more after it.</summary>
public sealed record RunPage(IReadOnlyList<Run> Runs, bool HasMore);

/// <summary>The run history, read for its owner only.</summary>
public sealed class RunStore(AppDbContext db)
{
    public async Task<RunDetails?> GetAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId && r.OwnerId == ownerId, cancellationToken);
        if (run is null)
        {
            return null;
        }
        var steps = await db.RunSteps.AsNoTracking().Where(s => s.RunId == runId).OrderBy(s => s.Index).ToListAsync(cancellationToken);
        return new RunDetails(run, steps);
    }

    /// <summary>The owner's runs, newest first.</summary>
    public async Task<RunPage> ListAsync(string ownerId, RunFilter filter, CancellationToken cancellationToken)
    {
        var query = db.Runs.AsNoTracking().Where(r => r.OwnerId == ownerId);
        if (filter.Status is { } status)
        {
            query = query.Where(r => r.Status == status);
        }
        if (filter.WorkflowId is { } workflowId)
        {
            query = query.Where(r => r.WorkflowId == workflowId);
        }
        var take = Math.Clamp(filter.Take, 1, 500);
        var runs = await query.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
            .Skip(Math.Max(0, filter.Skip)).Take(take + 1).ToListAsync(cancellationToken);
        var hasMore = runs.Count > take;
        if (hasMore)
        {
            runs.RemoveAt(take);
        }
        return new RunPage(runs, hasMore);
    }

    /// <summary>The run's log in the seed's export shape, or null when the owner has no such run.</summary>
    public async Task<JsonObject?> ExportAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        var details = await GetAsync(ownerId, runId, cancellationToken);
        return details is null ? null : RunLog.Export(details);
    }
}
