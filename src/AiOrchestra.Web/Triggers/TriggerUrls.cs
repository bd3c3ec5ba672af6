using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;

namespace AiOrchestra.Web.Triggers;

/// <summary>A workflow document with each webhook trigger's <c>url</c> added, as <c>GET /api/workflows/{id}</c> answers it.</summary>
public static class TriggerUrls
{
    public static async Task<string> DocumentWithUrlsAsync(
        StoredWorkflow stored, string ownerId, HttpRequest request, IServiceProvider services, CancellationToken cancellationToken)
    {
        var document = JsonNode.Parse(WorkflowJson.Serialize(stored.Workflow, indented: false))!;
        var db = services.GetRequiredService<AppDbContext>();
        var store = services.GetRequiredService<TriggerStore>();
        var states = await TriggerStore.ListAsync(db, ownerId, stored.Workflow.WorkflowId, cancellationToken);
        if (document["triggers"] is JsonArray triggers)
        {
            foreach (var trigger in triggers.OfType<JsonObject>())
            {
                var triggerId = trigger["trigger_id"]?.GetValue<string>();
                if (trigger["type"]?.GetValue<string>() == "webhook" && triggerId is not null
                    && states.TryGetValue(triggerId, out var state) && store.HookPath(state) is { } path)
                {
                    trigger["url"] = TriggerStatus.BaseUrl(request) + path;
                }
            }
        }
        return document.ToJsonString();
    }
}
