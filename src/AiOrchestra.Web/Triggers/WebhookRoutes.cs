using System.Collections.Concurrent;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Triggers;

/// <summary>A webhook call's destination: the trigger's row, its settings in the current version, its secret and rate limit.</summary>
public sealed record WebhookRoute(
    long StateId, string OwnerId, string WorkflowId, WorkflowTrigger Trigger, string ResponseStep, bool Enabled, byte[]? Secret,
    WebhookRateLimit Limit);

/// <summary>
/// Webhook tokens to their routes, read from the database once and kept until a workflow is saved or deleted or a
/// token or secret changes: a call then costs no lookup of its own. Unknown tokens are not remembered.
/// </summary>
public sealed class WebhookRoutes(IServiceProvider services, IOptions<TriggerOptions> options)
{
    private readonly ConcurrentDictionary<string, WebhookRoute> _routes = new(StringComparer.Ordinal);

    public void Clear() => _routes.Clear();

    public async Task<WebhookRoute?> FindAsync(string token, CancellationToken cancellationToken)
    {
        var hash = TriggerStore.Hash(token);
        if (_routes.TryGetValue(hash, out var route))
        {
            return route;
        }
        var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(cancellationToken);
        await using (db)
        {
            var found = await db.TriggerStates.AsNoTracking()
                .Where(t => t.TokenHash == hash)
                .Join(db.Workflows, t => t.WorkflowRecordId, w => w.Id, (t, w) => new { State = t, Record = w })
                .Select(x => new
                {
                    x.State,
                    Deleted = x.Record.DeletedAt != null,
                    Version = x.Record.Versions.Where(v => v.Number == x.Record.CurrentVersion).Select(v => new { v.Id, v.Definition }).FirstOrDefault(),
                })
                .FirstOrDefaultAsync(cancellationToken);
            if (found?.Version is null)
            {
                return null;
            }
            var workflow = services.GetRequiredService<WorkflowVersionCache>().GetOrParse(found.Version.Id, found.Version.Definition);
            var trigger = workflow.Triggers.FirstOrDefault(t => t.TriggerId == found.State.TriggerId && t.Type == TriggerType.Webhook);
            if (trigger is null)
            {
                return null;
            }
            var perMinute = trigger.MaxPerMinute ?? options.Value.WebhookMaxPerMinute;
            route = new WebhookRoute(
                found.State.Id, found.State.OwnerId, found.State.WorkflowId, trigger,
                trigger.ResponseStep ?? workflow.Steps[^1].StepId, found.State.Enabled && !found.Deleted,
                services.GetRequiredService<TriggerStore>().SecretBytes(found.State.Secret),
                new WebhookRateLimit(perMinute, services.GetRequiredService<TimeProvider>()));
            // a route read while a save commits may be stale; the save clears the routes after its commit
            return _routes.GetOrAdd(hash, route);
        }
    }
}
