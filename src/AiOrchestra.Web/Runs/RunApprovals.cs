using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Approves or rejects a waiting run's approval step for its owner, from the run's page or the API. The answer is the
/// step's output (<c>{approved, by, comment, at}</c>) and the run is queued to go on after the step: approved, it
/// continues; rejected, the step fails with the reason (so the run fails, unless the step says <c>on_error: continue</c>).
/// </summary>
public sealed class RunApprovals(
    IDbContextFactory<AppDbContext> dbs, RunWriter writer, RunSignal signal, TimeProvider time, RunEvents events)
{
    public const int MaxCommentLength = 2000;

    internal async Task<AnswerResult> AnswerAsync(string ownerId, string runId, string? stepId, bool approved, string? comment, CancellationToken cancellationToken)
    {
        string by;
        await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
        {
            by = await db.Users.Where(u => u.Id == ownerId).Select(u => u.UserName).FirstOrDefaultAsync(cancellationToken) ?? ownerId;
        }
        var text = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        // once handed to the writer the answer is written: wait for it even if the caller gives up
        var result = await writer.AnswerAsync(ownerId, runId, string.IsNullOrWhiteSpace(stepId) ? null : stepId.Trim(), approved, by, text, time.GetUtcNow());
        if (result.Outcome is AnswerOutcome.Approved or AnswerOutcome.Rejected)
        {
            signal.Wake();
            // with other processes on the database, whichever has a free slot goes on with the run
            events.Relay?.WakeEverywhere();
        }
        return result;
    }

    /// <summary>The owner's run's status, or null for no such run of theirs.</summary>
    internal async Task<RunStatus?> StatusAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        return await db.Runs.Where(r => r.Id == runId && r.OwnerId == ownerId).Select(r => (RunStatus?)r.Status).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>What the owner's waiting run waits for, in step order (empty when it does not wait).</summary>
    internal async Task<List<RunWait>> WaitsAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        return await db.RunWaits.AsNoTracking()
            .Where(w => w.RunId == runId && db.Runs.Any(r => r.Id == runId && r.OwnerId == ownerId && r.Status == RunStatus.Waiting))
            .OrderBy(w => w.StepIndex)
            .ToListAsync(cancellationToken);
    }

    /// <summary>Why an answer was not taken, in a sentence, for a 409 or the page.</summary>
    internal static string Refusal(string runId, AnswerResult result) => result.Outcome switch
    {
        AnswerOutcome.NoApproval => $"Run '{runId}' is waiting for a wait step's time, not for an approval; cancel it to stop it.",
        AnswerOutcome.Ambiguous =>
            $"Run '{runId}' waits for {result.Waiting!.Count} approvals ({string.Join(", ", result.Waiting)}); name the one you answer with step_id.",
        AnswerOutcome.NotAWaitingApproval =>
            $"Step '{result.StepId}' is not an approval run '{runId}' waits for; it waits for: {string.Join(", ", result.Waiting!)}.",
        _ when result.RunStatus == RunStatus.Queued.ToText() || result.RunStatus == RunStatus.Running.ToText() =>
            $"Run '{runId}' is not waiting for approval: it is {result.RunStatus} (its approval was answered already, or it has not reached one).",
        _ => $"Run '{runId}' is not waiting for approval: it has finished ({result.RunStatus}).",
    };
}
