using System.Security.Claims;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Api;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Api.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiOrchestra.Web.Triggers;

/// <summary>
/// <c>/api/workflows/{id}/triggers</c>: list a workflow's triggers with their state, enable or disable one (a new
/// version of the workflow), rotate a webhook's URL, make a new signing secret (shown in this answer only).
/// </summary>
public static class TriggersApi
{
    public sealed record TriggerUrl(string Url);

    public sealed record TriggerSecret(string Secret, string Header);

    public static void MapTriggersApi(this WebApplication app)
    {
        var group = app.MapGroup("/api/workflows/{id}/triggers").WithTags("Triggers").RequireAuthorization(ApiAuthentication.Policy);
        group.MapGet("/", ListAsync).WithSummary("A workflow's triggers: webhook URLs, last fired, the run started, next due times");
        group.MapPost("/{triggerId}/enable", (string id, string triggerId, ClaimsPrincipal user, WorkflowStore store, CancellationToken ct) =>
            SetEnabledAsync(id, triggerId, true, user, store, ct)).WithSummary("Enable a trigger (saves a new version)");
        group.MapPost("/{triggerId}/disable", (string id, string triggerId, ClaimsPrincipal user, WorkflowStore store, CancellationToken ct) =>
            SetEnabledAsync(id, triggerId, false, user, store, ct)).WithSummary("Disable a trigger (saves a new version)");
        group.MapPost("/{triggerId}/rotate", RotateAsync).WithSummary("Give a webhook a new URL; the old one stops working");
        group.MapPost("/{triggerId}/secret", SecretAsync).WithSummary("Make a webhook's signing secret; it is shown in this answer only");
    }

    private static async Task<Results<Ok<IReadOnlyList<TriggerStatus>>, ProblemHttpResult>> ListAsync(
        string id, ClaimsPrincipal user, WorkflowStore store, AppDbContext db, TriggerStore triggers, HttpRequest request,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(user.OwnerId(), id, cancellationToken);
        if (stored is null)
        {
            return WorkflowsApi.NotFound(id);
        }
        return TypedResults.Ok(await TriggerStatus.ListAsync(db, triggers, user.OwnerId(), stored.Workflow, TriggerStatus.BaseUrl(request), time.GetUtcNow(), cancellationToken));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> SetEnabledAsync(
        string id, string triggerId, bool enabled, ClaimsPrincipal user, WorkflowStore store, CancellationToken cancellationToken)
    {
        var result = await SetEnabledAsync(store, user.OwnerId(), id, triggerId, enabled, cancellationToken);
        return result switch
        {
            null => TypedResults.NoContent(),
            { Count: 0 } => ApiProblems.NotFound($"Workflow '{id}' has no trigger '{triggerId}'; GET /api/workflows/{id}/triggers lists its triggers."),
            _ => ApiProblems.Invalid(result),
        };
    }

    /// <summary>Saves a version with the trigger switched; null when saved, no errors when there is no such trigger.</summary>
    internal static async Task<IReadOnlyList<ValidationError>?> SetEnabledAsync(
        WorkflowStore store, string ownerId, string workflowId, string triggerId, bool enabled, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(ownerId, workflowId, cancellationToken);
        var trigger = stored?.Workflow.Triggers.FirstOrDefault(t => t.TriggerId == triggerId);
        if (stored is null || trigger is null)
        {
            return [];
        }
        if (trigger.Enabled == enabled)
        {
            return null;
        }
        var triggers = stored.Workflow.Triggers.Select(t => t.TriggerId == triggerId ? t with { Enabled = enabled } : t).ToList();
        var saved = await store.SaveAsync(ownerId, stored.Workflow with { Triggers = triggers }, SaveMode.Replace, stored.Version, cancellationToken);
        return saved.Succeeded ? null : saved.Errors.Count > 0 ? saved.Errors : [new ValidationError("", "the workflow changed meanwhile; try again")];
    }

    private static async Task<Results<Ok<TriggerUrl>, ProblemHttpResult>> RotateAsync(
        string id, string triggerId, ClaimsPrincipal user, AppDbContext db, TriggerStore triggers, HttpRequest request, CancellationToken cancellationToken)
    {
        var path = await triggers.RotateTokenAsync(db, user.OwnerId(), id, triggerId, cancellationToken);
        return path is null ? NoWebhook(id, triggerId) : TypedResults.Ok(new TriggerUrl(TriggerStatus.BaseUrl(request) + path));
    }

    private static async Task<Results<Ok<TriggerSecret>, ProblemHttpResult>> SecretAsync(
        string id, string triggerId, ClaimsPrincipal user, AppDbContext db, TriggerStore triggers, CancellationToken cancellationToken)
    {
        var secret = await triggers.NewSecretAsync(db, user.OwnerId(), id, triggerId, cancellationToken);
        return secret is null ? NoWebhook(id, triggerId) : TypedResults.Ok(new TriggerSecret(secret, "X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body, hex>"));
    }

    private static ProblemHttpResult NoWebhook(string id, string triggerId) =>
        ApiProblems.NotFound($"Workflow '{id}' has no webhook trigger '{triggerId}'; GET /api/workflows/{id}/triggers lists its triggers.");
}
