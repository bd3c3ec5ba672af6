using AiOrchestra.Web.Tokens;
using System.Security.Claims;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Api.Runs;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiOrchestra.Web.Api.Workflows;

/// <summary>
/// <c>/api/workflows</c>: the token's user's workflows. Bodies are the seed's workflow format itself, read by the
/// engine's parser (short spellings, all errors with their paths); every save keeps a new version.
/// </summary>
public static class WorkflowsApi
{
    /// <summary>A workflow in the list; <c>id</c> repeats <c>workflow_id</c> for the original AI-Orchestra's clients.</summary>
    public sealed record WorkflowListItem(string WorkflowId, string Id, string Name, string? Description, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    public static IEndpointRouteBuilder MapWorkflowsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/workflows").WithTags("Workflows").RequireAuthorization(ApiAuthentication.Policy);

        group.MapGet("/", ListAsync).WithSummary("List your workflows");
        group.MapGet("/{id}", GetAsync)
            .WithSummary("Get a workflow in the seed format (its version is in the ETag header); ?format=original writes the original AI-Orchestra's spellings")
            .Produces<WorkflowDocument>(contentType: "application/json");
        group.MapPost("/", CreateAsync)
            .WithSummary("Create a workflow from a seed-format document")
            .Accepts<WorkflowDocument>("application/json")
            .Produces<WorkflowDocument>(StatusCodes.Status201Created, "application/json");
        group.MapPut("/{id}", UpdateAsync)
            .WithSummary("Replace a workflow; the previous version is kept (send If-Match with the ETag to refuse replacing a newer version: 412)")
            .Accepts<WorkflowDocument>("application/json")
            .Produces<WorkflowDocument>(contentType: "application/json");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a workflow (its runs keep their history)");
        group.MapGet("/{id}/versions", VersionsAsync).WithSummary("Every saved version of a workflow, newest first, with when it was saved");
        group.MapGet("/{id}/diff", DiffAsync)
            .WithSummary("Two versions side by side, line by line (?from=&to=; by default the current version against the one before)");
        group.MapPost("/{id}/versions/{version}/restore", RestoreAsync)
            .WithSummary("Save an earlier version again as the newest one (the history keeps every version)");
        group.MapPost("/execute", ExecuteApi.ExecuteAsync)
            .WithSummary("Run a workflow: waits for it to finish (200) or answers 202 with the run's Location")
            .RequireScope(TokenScopes.Run);
        group.MapPinsApi();
        return app;
    }

    private static async Task<Ok<List<WorkflowListItem>>> ListAsync(ClaimsPrincipal user, WorkflowStore store, CancellationToken cancellationToken)
    {
        var workflows = await store.ListAsync(user.OwnerId(), cancellationToken);
        return TypedResults.Ok(workflows.Select(w => new WorkflowListItem(w.WorkflowId, w.WorkflowId, w.Name, w.Description, w.Version, w.CreatedAt, w.UpdatedAt)).ToList());
    }

    private static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> GetAsync(
        string id, string? format, ClaimsPrincipal user, WorkflowStore store, HttpResponse response, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (format is not (null or "original"))
        {
            return ApiProblems.Invalid("format", $"is '{format}'; leave it out for our format, or ask for 'original' (the original AI-Orchestra's spellings).");
        }
        var stored = await store.GetAsync(user.OwnerId(), id, cancellationToken);
        if (stored is null)
        {
            return NotFound(id);
        }
        if (format is null && stored.Workflow.Triggers.Any(t => t.Type == TriggerType.Webhook))
        {
            // each webhook's address as its url (a read-only field the reader ignores); never its secret
            response.Headers.ETag = ETag(stored.Version);
            return TypedResults.Text(await Triggers.TriggerUrls.DocumentWithUrlsAsync(stored, user.OwnerId(), response.HttpContext.Request, services, cancellationToken), "application/json");
        }
        return Document(stored, response, original: format == "original");
    }

    /// <summary>
    /// Creates a workflow (201). A document in the original AI-Orchestra's shape (<c>id</c>, no <c>workflow_id</c>) whose id
    /// exists replaces it as a new version (200), as the original's POST did; our own shape answers 409 instead.
    /// </summary>
    private static async Task<Results<Created<JsonNode>, Ok<JsonNode>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpRequest request, ClaimsPrincipal user, WorkflowStore store, WorkflowValidator validator, CancellationToken cancellationToken)
    {
        var (workflow, problem, invalid, originalShape) = await ReadAsync(request, validator, cancellationToken);
        if (workflow is null)
        {
            return problem is not null ? problem : invalid!;
        }
        var saved = await store.SaveAsync(user.OwnerId(), workflow, originalShape ? SaveMode.CreateOrReplace : SaveMode.Create, null, cancellationToken);
        switch (saved.Outcome)
        {
            case SaveOutcome.AlreadyExists:
                return ApiProblems.Conflict($"You already have a workflow '{workflow.WorkflowId}'; change it with PUT /api/workflows/{workflow.WorkflowId} or choose another workflow_id.");
            case SaveOutcome.ChangedConcurrently:
                return ChangedConcurrently(workflow.WorkflowId);
            case SaveOutcome.Invalid:
                return ApiProblems.Invalid(saved.Errors, "The workflow was not saved; fix the fields listed under 'errors'.");
        }
        request.HttpContext.Response.Headers.ETag = ETag(saved.Saved!.Version);
        // the original's answer, {status, workflow_id}, is inside ours: the document saved
        var answer = JsonNode.Parse(WorkflowJson.Serialize(saved.Saved.Workflow, indented: false))!;
        answer["status"] = "success";
        return saved.Saved.Version > 1
            ? TypedResults.Ok(answer)
            : TypedResults.Created($"/api/workflows/{workflow.WorkflowId}", answer);
    }

    private static async Task<Results<Ok<JsonNode>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string id, HttpRequest request, ClaimsPrincipal user, WorkflowStore store, WorkflowValidator validator, CancellationToken cancellationToken)
    {
        var (workflow, problem, invalid, _) = await ReadAsync(request, validator, cancellationToken);
        if (workflow is null)
        {
            return problem is not null ? problem : invalid!;
        }
        var (expected, matchable) = IfMatch(request);
        if (!matchable)
        {
            return ApiProblems.Invalid("If-Match", "must be the ETag a GET of this workflow answered, e.g. \"3\", or *.");
        }
        if (workflow.WorkflowId != id)
        {
            return ApiProblems.Invalid("workflow_id", $"is '{workflow.WorkflowId}' but the address names '{id}'; they must match (to rename, create the new id and delete the old one).");
        }
        var saved = await store.SaveAsync(user.OwnerId(), workflow, SaveMode.Replace, expected, cancellationToken);
        switch (saved.Outcome)
        {
            case SaveOutcome.NotFound:
                return NotFound(id);
            case SaveOutcome.VersionChanged:
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status412PreconditionFailed,
                    title: "Version changed",
                    detail: $"Workflow '{id}' is at version {saved.CurrentVersion} now, not the one If-Match names; GET it, apply your change to it and retry with its ETag.");
            case SaveOutcome.ChangedConcurrently:
                return ChangedConcurrently(id);
            case SaveOutcome.Invalid:
                return ApiProblems.Invalid(saved.Errors, "The workflow was not saved; fix the fields listed under 'errors'.");
        }
        request.HttpContext.Response.Headers.ETag = ETag(saved.Saved!.Version);
        return TypedResults.Ok(JsonNode.Parse(WorkflowJson.Serialize(saved.Saved.Workflow, indented: false))!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string id, ClaimsPrincipal user, WorkflowStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(user.OwnerId(), id, cancellationToken) ? TypedResults.NoContent() : NotFound(id);

    public sealed record VersionItem(int Version, DateTimeOffset SavedAt, string? SavedBy, bool Current);

    private static async Task<Results<Ok<List<VersionItem>>, ProblemHttpResult>> VersionsAsync(
        string id, ClaimsPrincipal user, WorkflowStore store, CancellationToken cancellationToken)
    {
        var versions = await store.ListVersionsAsync(user.OwnerId(), id, cancellationToken);
        return versions.Count == 0
            ? NotFound(id)
            : TypedResults.Ok(versions.Select((v, i) => new VersionItem(v.Number, v.SavedAt, v.SavedBy, i == 0)).ToList());
    }

    private static async Task<Results<Ok<Versions.SideBySideDiff>, ValidationProblem, ProblemHttpResult>> DiffAsync(
        string id, int? from, int? to, ClaimsPrincipal user, WorkflowStore store, CancellationToken cancellationToken)
    {
        var current = await store.GetAsync(user.OwnerId(), id, cancellationToken);
        if (current is null)
        {
            return NotFound(id);
        }
        var newer = to ?? current.Version;
        var older = from ?? Math.Max(1, newer - 1);
        var (diff, problem) = await store.DiffAsync(user.OwnerId(), id, older, newer, cancellationToken);
        return diff is null ? ApiProblems.NotFound(char.ToUpperInvariant(problem![0]) + problem[1..]) : TypedResults.Ok(diff);
    }

    private static async Task<Results<Created<JsonNode>, ValidationProblem, ProblemHttpResult>> RestoreAsync(
        string id, int version, ClaimsPrincipal user, WorkflowStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        var saved = await store.RestoreAsync(user.OwnerId(), id, version, cancellationToken);
        switch (saved?.Outcome)
        {
            case null:
                return ApiProblems.NotFound($"You have no workflow '{id}' with a version {version}. GET /api/workflows/{id}/versions lists them.");
            case SaveOutcome.ChangedConcurrently:
                return ChangedConcurrently(id);
            case SaveOutcome.Invalid:
                return ApiProblems.Invalid(saved.Errors, $"Version {version} no longer validates and was not restored; fix the fields listed under 'errors' in the editor instead.");
        }
        response.Headers.ETag = ETag(saved.Saved!.Version);
        return TypedResults.Created($"/api/workflows/{id}", JsonNode.Parse(WorkflowJson.Serialize(saved.Saved.Workflow, indented: false))!);
    }

    /// <summary>The document sent, and whether it is in the original AI-Orchestra's shape (<c>id</c> rather than <c>workflow_id</c>).</summary>
    private static async Task<(Workflow? Workflow, ProblemHttpResult? Problem, ValidationProblem? Invalid, bool OriginalShape)> ReadAsync(
        HttpRequest request, WorkflowValidator validator, CancellationToken cancellationToken)
    {
        var (text, problem) = await JsonBody.ReadTextAsync(request, cancellationToken);
        if (text is null)
        {
            return (null, problem, null, false);
        }
        var parsed = WorkflowJson.Parse(text);
        return parsed.Succeeded
            ? (parsed.Workflow, null, null, parsed.OriginalShape)
            // the reader's errors and the validator's on what could be read, all at once
            : (null, null, ApiProblems.Invalid(validator.Validate(parsed), "The workflow document has errors; nothing was saved."), false);
    }

    private static ContentHttpResult Document(StoredWorkflow stored, HttpResponse response, bool original = false)
    {
        response.Headers.ETag = ETag(stored.Version);
        return TypedResults.Text(WorkflowJson.Serialize(stored.Workflow, indented: false, original), "application/json");
    }

    private static string ETag(int version) => $"\"{version}\"";

    /// <summary>
    /// The version an If-Match header names (<c>"3"</c> or <c>W/"3"</c>); none for no header or <c>*</c> (PUT only
    /// replaces an existing workflow anyway). Without it, saves at the same time each become a version, the last current.
    /// </summary>
    private static (int? Version, bool Valid) IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*")
        {
            return (null, true);
        }
        var tag = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        return tag.Length > 2 && tag[0] == '"' && tag[^1] == '"'
               && int.TryParse(tag[1..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version)
            ? (version, true)
            : (null, false);
    }

    private static ProblemHttpResult ChangedConcurrently(string id) =>
        ApiProblems.Conflict($"Workflow '{id}' was changed concurrently by another request; GET it and retry.");

    internal static ProblemHttpResult NotFound(string id) =>
        ApiProblems.NotFound($"You have no workflow '{id}'. GET /api/workflows lists yours.");
}
