using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Triggers;

/// <summary>A trigger as the dashboard and the API show it: its address (never its secret), when it last fired and what it started.</summary>
public sealed record TriggerStatus(
    string TriggerId, string Type, bool Enabled, string? Url, bool Signed, bool HasSecret,
    DateTimeOffset? LastFiredAt, string? LastRunId, string? LastError, DateTimeOffset? LastErrorAt,
    IReadOnlyList<DateTimeOffset> NextDue)
{
    /// <summary>Each trigger of <paramref name="workflow"/> (the owner's current version) with its stored state.</summary>
    public static async Task<IReadOnlyList<TriggerStatus>> ListAsync(
        AppDbContext db, TriggerStore store, string ownerId, Workflow workflow, string baseUrl, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (workflow.Triggers.Count == 0)
        {
            return [];
        }
        var states = await TriggerStore.ListAsync(db, ownerId, workflow.WorkflowId, cancellationToken);
        var list = new List<TriggerStatus>(workflow.Triggers.Count);
        foreach (var trigger in workflow.Triggers)
        {
            states.TryGetValue(trigger.TriggerId, out var state);
            var (firedAt, runId) = (state?.LastFiredAt, state?.LastRunId);
            if (trigger.Type == TriggerType.Webhook)
            {
                // a webhook's calls are not written on its row (that would cost a write per call): its runs say it
                var origin = RunOrigin.Webhook(trigger.TriggerId);
                var last = await db.Runs.AsNoTracking()
                    .Where(r => r.OwnerId == ownerId && r.WorkflowId == workflow.WorkflowId && r.Origin == origin)
                    .OrderByDescending(r => r.CreatedAt)
                    .Select(r => new { r.Id, r.CreatedAt })
                    .FirstOrDefaultAsync(cancellationToken);
                (firedAt, runId) = (last?.CreatedAt, last?.Id);
            }
            var path = state is null ? null : store.HookPath(state);
            var nextDue = trigger is { Type: TriggerType.Schedule, Enabled: true } ? TriggerSchedule.NextTimes(trigger, now, 3) : [];
            list.Add(new TriggerStatus(
                trigger.TriggerId, TriggerNames.Text(trigger.Type), trigger.Enabled, path is null ? null : baseUrl + path,
                trigger.Signed, state?.Secret is not null, firedAt, runId, state?.LastError, state?.LastErrorAt, nextDue));
        }
        return list;
    }

    /// <summary>The scheme and host the request came to, so a copied URL works from where the user stands.</summary>
    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}";
}
