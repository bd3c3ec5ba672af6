using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>What a run already did, read back to resume it: its finished steps, the finished items of its loops, its steps' notes.</summary>
internal static class RunProgress
{
    public static async Task<IReadOnlyList<StepRecord>> FinishedStepsAsync(IDbContextFactory<AppDbContext> dbs, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var steps = await db.StepsOf(runId).AsNoTracking()
            .Where(s => s.Status == StepStatus.Succeeded || s.Status == StepStatus.Failed || s.Status == StepStatus.Skipped)
            .OrderBy(s => s.Index)
            .ToListAsync(cancellationToken);
        return steps.Select(s => new StepRecord
        {
            StepId = s.StepId, Index = s.Index, Status = s.Status, Output = s.Output is null ? null : JsonNode.Parse(s.Output),
            Error = s.Error, Attempts = s.Attempts, DurationMs = s.DurationMs,
            Usage = s.PromptTokens is null && s.CompletionTokens is null ? null : new TokenUsage(s.PromptTokens ?? 0, s.CompletionTokens ?? 0),
            StartedAt = s.StartedAt ?? default, FinishedAt = s.FinishedAt ?? default,
        }).ToList();
    }

    /// <summary>The finished items of the run's for_each steps (none for a run without loops: one indexed query).</summary>
    public static async Task<IReadOnlyList<ItemRecord>> FinishedItemsAsync(IDbContextFactory<AppDbContext> dbs, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var items = await db.RunStepItems.AsNoTracking()
            .Where(i => i.RunId == runId)
            .OrderBy(i => i.StepIndex).ThenBy(i => i.ItemIndex)
            .ToListAsync(cancellationToken);
        return items.Select(i => new ItemRecord
        {
            StepId = i.StepId, StepIndex = i.StepIndex, ItemIndex = i.ItemIndex, Status = i.Status,
            Output = i.Output is null ? null : JsonNode.Parse(i.Output), Error = i.Error, Attempts = i.Attempts, DurationMs = i.DurationMs,
            StartedAt = i.StartedAt ?? default, FinishedAt = i.FinishedAt ?? default,
        }).ToList();
    }

    /// <summary>The notes the run's steps recorded (an agent's turns and tool calls), so a resumed step goes on after them.</summary>
    public static async Task<IReadOnlyList<JournalEntry>> JournalEntriesAsync(IDbContextFactory<AppDbContext> dbs, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var entries = await db.RunStepEntries.AsNoTracking()
            .Where(e => e.RunId == runId)
            .OrderBy(e => e.StepIndex).ThenBy(e => e.ItemIndex).ThenBy(e => e.Sequence)
            .ToListAsync(cancellationToken);
        return entries.Select(e => new JournalEntry(e.StepId, e.StepIndex, e.ItemIndex, e.Sequence, (JsonObject)JsonNode.Parse(e.Entry)!, e.RecordedAt)).ToList();
    }
}
