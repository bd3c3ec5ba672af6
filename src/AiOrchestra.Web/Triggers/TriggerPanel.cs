using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Triggers;

/// <summary>The editor's triggers panel: the statuses to show and its buttons, for the signed-in owner.</summary>
public sealed class TriggerPanel(AppDbContext db, TriggerStore triggers, TimeProvider time)
{
    public Task<IReadOnlyList<TriggerStatus>> ListAsync(string ownerId, Workflow workflow, HttpRequest request, CancellationToken cancellationToken) =>
        TriggerStatus.ListAsync(db, triggers, ownerId, workflow, TriggerStatus.BaseUrl(request), time.GetUtcNow(), cancellationToken);

    public Task<string?> RotateAsync(string ownerId, string workflowId, string triggerId, CancellationToken cancellationToken) =>
        triggers.RotateTokenAsync(db, ownerId, workflowId, triggerId, cancellationToken);

    public Task<string?> NewSecretAsync(string ownerId, string workflowId, string triggerId, CancellationToken cancellationToken) =>
        triggers.NewSecretAsync(db, ownerId, workflowId, triggerId, cancellationToken);
}
