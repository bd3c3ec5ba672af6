using System.Text.Json.Nodes;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>A run with its steps in order, as stored.</summary>
public sealed record RunDetails(Run Run, IReadOnlyList<RunStep> Steps);

/// <summary>Which of the owner's runs to list: newest first, optionally one status, one workflow, a time range.</summary>
public sealed record RunFilter
{
    public RunStatus? Status { get; init; }
    public string? WorkflowId { get; init; }

    /// <summary>
    /// Runs of this origin: an exact origin (<c>manual</c>, <c>webhook:push</c>), or a trigger kind alone
    /// (<c>webhook</c>) for every trigger of that kind.
    /// </summary>
    public string? Origin { get; init; }

    /// <summary>Runs created at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Runs created before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Runs older than this one (keyset paging: the next page of a deep history costs what the first does).</summary>
    public RunCursor? Before { get; init; }

    /// <summary>Runs newer than this one, the page just above it (keyset paging back towards the newest).</summary>
    public RunCursor? After { get; init; }

    public int Skip { get; init; }
    public int Take { get; init; } = 50;

    internal bool IsUnfiltered => Status is null && WorkflowId is null && Origin is null && From is null && To is null && Before is null && After is null;
}

/// <summary>A place in the newest-first run list: a run's creation time and id, written <c>{unix ms}_{id}</c>.</summary>
public readonly record struct RunCursor(DateTimeOffset CreatedAt, string Id)
{
    public override string ToString() => $"{CreatedAt.ToUnixTimeMilliseconds()}_{Id}";

    public static bool TryParse(string? text, out RunCursor cursor)
    {
        cursor = default;
        var parts = text?.Split('_') ?? [];
        if (parts.Length != 2 || !long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            || ms > 253_402_300_799_999 || !Guid.TryParseExact(parts[1], "D", out _))
        {
            return false;
        }
        cursor = new RunCursor(DateTimeOffset.FromUnixTimeMilliseconds(ms), parts[1]);
        return true;
    }
}

/// <summary>What a list of runs shows of each: no inputs, no outputs.</summary>
public sealed record RunRow(
    string Id, string WorkflowId, int WorkflowVersionNumber, RunStatus Status, string Origin, string? Error,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>A child run (a sub-workflow) as its parent's page and API list it.</summary>
public sealed record ChildRunRow(string Id, string WorkflowId, string? ParentStepId, int? ParentItemIndex, RunStatus Status);

/// <summary>One page of runs, newest first, whether there are older runs after it and newer ones before it.</summary>
public sealed record RunPage(IReadOnlyList<RunRow> Runs, bool HasMore, bool HasNewer = false)
{
    /// <summary>Where the next (older) page starts; null on the last page.</summary>
    public RunCursor? Next => HasMore && Runs.Count > 0 ? new RunCursor(Runs[^1].CreatedAt, Runs[^1].Id) : null;

    /// <summary>Where the previous (newer) page ends; null on the first page.</summary>
    public RunCursor? Previous => HasNewer && Runs.Count > 0 ? new RunCursor(Runs[0].CreatedAt, Runs[0].Id) : null;
}

/// <summary>The run history, read for its owner only.</summary>
public sealed class RunStore(AppDbContext db, Engine.Steps.Integrations.IntegrationSecrets? secrets = null)
{
    // The unfiltered list is the usual request: compiled once, or EF hashes and looks up the LINQ query on every call.
    private static readonly Func<AppDbContext, string, int, int, IAsyncEnumerable<RunRow>> AllRuns = EF.CompileAsyncQuery(
        (AppDbContext db, string ownerId, int skip, int take) => db.Runs.AsNoTracking().Where(r => r.OwnerId == ownerId)
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
            .Skip(skip).Take(take)
            .Select(r => new RunRow(r.Id, r.WorkflowId, r.WorkflowVersionNumber, r.Status, r.Origin, r.Error, r.CreatedAt, r.StartedAt, r.FinishedAt)));

    // A run and its steps are read after every execute call that waits, and by every run page: compiled as well.
    private static readonly Func<AppDbContext, string, string, CancellationToken, Task<Run?>> OneRun = EF.CompileAsyncQuery(
        (AppDbContext db, string ownerId, string runId, CancellationToken _) => db.Runs.AsNoTracking().FirstOrDefault(r => r.Id == runId && r.OwnerId == ownerId));

    private static readonly Func<AppDbContext, string, IAsyncEnumerable<RunStep>> StepsOf = EF.CompileAsyncQuery<AppDbContext, string, RunStep>(
        (AppDbContext db, string runId) => db.Runs.AsNoTracking().Where(r => r.Id == runId).SelectMany(r => r.Steps).OrderBy(s => s.Index));

    /// <summary>How many items of each for_each step of the run are recorded as finished, by step index.</summary>
    public async Task<Dictionary<int, int>> CountItemsAsync(string runId, CancellationToken cancellationToken) =>
        await db.RunStepItems.AsNoTracking().Where(i => i.RunId == runId)
            .GroupBy(i => i.StepIndex).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);

    /// <summary>The notes the run's steps recorded (agents' turns and tool calls), in order within each step and item.</summary>
    public async Task<List<RunStepEntry>> EntriesAsync(string runId, CancellationToken cancellationToken) =>
        await db.RunStepEntries.AsNoTracking().Where(e => e.RunId == runId)
            .OrderBy(e => e.StepIndex).ThenBy(e => e.ItemIndex).ThenBy(e => e.Sequence)
            .ToListAsync(cancellationToken);

    public async Task<RunDetails?> GetAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        var run = await OneRun(db, ownerId, runId, cancellationToken);
        if (run is null)
        {
            return null;
        }
        var steps = await StepsOf(db, runId).ToListAsync(cancellationToken);
        return new RunDetails(run, steps);
    }

    /// <summary>The child runs the run's <c>workflow</c> steps started, in the order they were started.</summary>
    public async Task<IReadOnlyList<ChildRunRow>> ChildrenAsync(string runId, CancellationToken cancellationToken) =>
        await db.Runs.AsNoTracking().Where(r => r.ParentRunId == runId)
            .OrderBy(r => r.Id)
            .Select(r => new ChildRunRow(r.Id, r.WorkflowId, r.ParentStepId, r.ParentItemIndex, r.Status))
            .ToListAsync(cancellationToken);

    /// <summary>
    /// The owner's runs, newest first, one page plus one row to know whether there is more: along the
    /// (owner, [workflow | status | origin,] created_at) indexes read backwards, with no count of all runs and only the listed columns.
    /// </summary>
    public async Task<RunPage> ListAsync(string ownerId, RunFilter filter, CancellationToken cancellationToken)
    {
        var take = Math.Clamp(filter.Take, 1, 500);
        var skip = Math.Max(0, filter.Skip);
        List<RunRow> runs;
        if (filter.IsUnfiltered)
        {
            runs = await AllRuns(db, ownerId, skip, take + 1).ToListAsync(cancellationToken);
        }
        else
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
            if (filter.Origin is { } origin)
            {
                // along the (owner, origin, created_at) index: an exact origin in order; a trigger kind ("webhook") as
                // the range of its triggers' origins ("webhook:…", the strings from "webhook:" up to "webhook;")
                var first = origin + ":";
                var after = origin + ";";
                query = RunOrigin.TriggerKinds.Contains(origin)
                    ? query.Where(r => string.Compare(r.Origin, first) >= 0 && string.Compare(r.Origin, after) < 0)
                    : query.Where(r => r.Origin == origin);
            }
            if (filter.From is { } from)
            {
                query = query.Where(r => r.CreatedAt >= from);
            }
            if (filter.To is { } to)
            {
                query = query.Where(r => r.CreatedAt < to);
            }
            if (filter.Before is { } before)
            {
                // the index's order (created_at desc, then id): a range seek, however deep the page
                var (at, id) = (before.CreatedAt, before.Id);
                query = query.Where(r => r.CreatedAt <= at && (r.CreatedAt < at || string.Compare(r.Id, id) < 0));
            }
            if (filter.After is { } newerThan)
            {
                // the same index read the other way: the runs just above the cursor, nearest first, then turned newest first
                var (at, id) = (newerThan.CreatedAt, newerThan.Id);
                var newer = await query.Where(r => r.CreatedAt >= at && (r.CreatedAt > at || string.Compare(r.Id, id) > 0))
                    .OrderBy(r => r.CreatedAt).ThenBy(r => r.Id)
                    .Take(take + 1)
                    .Select(r => new RunRow(r.Id, r.WorkflowId, r.WorkflowVersionNumber, r.Status, r.Origin, r.Error, r.CreatedAt, r.StartedAt, r.FinishedAt))
                    .ToListAsync(cancellationToken);
                var hasNewer = newer.Count > take;
                if (hasNewer)
                {
                    newer.RemoveAt(take);
                }
                newer.Reverse();
                return new RunPage(newer, HasMore: true, hasNewer);
            }
            runs = await query.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
                .Skip(skip).Take(take + 1)
                .Select(r => new RunRow(r.Id, r.WorkflowId, r.WorkflowVersionNumber, r.Status, r.Origin, r.Error, r.CreatedAt, r.StartedAt, r.FinishedAt))
                .ToListAsync(cancellationToken);
        }
        var hasMore = runs.Count > take;
        if (hasMore)
        {
            runs.RemoveAt(take);
        }
        // a page read from a cursor has the cursor's run (or the runs above it) before it
        return new RunPage(runs, hasMore, HasNewer: filter.Before is not null || skip > 0);
    }

    /// <summary>
    /// The run's log in the seed's export shape, or null when the owner has no such run. Outputs and errors are stored
    /// redacted already; the whole log is redacted once more for what was not (the inputs, runs stored before a secret
    /// was set).
    /// </summary>
    public async Task<JsonObject?> ExportAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        var details = await GetAsync(ownerId, runId, cancellationToken);
        if (details is null)
        {
            return null;
        }
        var log = RunLog.Export(details);
        if (secrets?.Redaction is not { IsEmpty: false } redaction)
        {
            return log;
        }
        var json = log.ToJsonString();
        return redaction.Contains(json) ? JsonNode.Parse(redaction.Redact(json))!.AsObject() : log;
    }
}
