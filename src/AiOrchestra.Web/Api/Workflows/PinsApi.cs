using System.Security.Claims;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Api.Runs;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Pins;
using AiOrchestra.Web.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiOrchestra.Web.Api.Workflows;

/// <summary>
/// <c>/api/workflows/{id}/pins</c>: pinned step outputs. A run uses them only when asked for explicitly
/// (<c>POST /api/workflows/execute</c> with <c>"use_pins": true</c>, a test run).
/// </summary>
public static class PinsApi
{
    /// <summary>A pin to set: <c>output</c> (any JSON value), or <c>from_run</c>, the id of a run of this workflow to take the step's output from.</summary>
    public sealed record PinRequest(JsonNode? Output, string? FromRun);

    /// <summary>A single-step run to start: <c>from_run</c>, the id of a past run of this workflow whose outputs the step reads.</summary>
    public sealed record StepRunRequest(string? FromRun);

    /// <summary>The test run started: its id, status (queued), the step it runs and the run its inputs come from.</summary>
    public sealed record StepRunResponse(string RunId, string Status, string StepId, string FromRun, string Location);

    public static RouteGroupBuilder MapPinsApi(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/pins", ListAsync).WithSummary("The workflow's pinned step outputs (used only by test runs)");
        group.MapPut("/{id}/pins/{stepId}", PinAsync)
            .WithSummary("Pin a step's output: {\"output\": <JSON>} or {\"from_run\": \"<run id>\"}; test runs use it instead of calling the step");
        group.MapDelete("/{id}/pins/{stepId}", UnpinAsync).WithSummary("Remove a step's pin");
        group.MapPost("/{id}/steps/{stepId}/run", RunStepAsync)
            .WithSummary("Run one step alone in a test run: {\"from_run\": \"<run id>\"}; the steps before it keep that run's outputs, no later step runs")
            .RequireScope(TokenScopes.Run);
        return group;
    }

    private static async Task<Results<Ok<IReadOnlyList<PinView>>, ProblemHttpResult>> ListAsync(
        string id, ClaimsPrincipal user, StepPins pins, CancellationToken cancellationToken) =>
        await pins.ListAsync(user.OwnerId(), id, cancellationToken) is { } list ? TypedResults.Ok(list) : WorkflowsApi.NotFound(id);

    private static async Task<Results<Ok<PinView>, ValidationProblem, ProblemHttpResult>> PinAsync(
        string id, string stepId, PinRequest request, ClaimsPrincipal user, StepPins pins, CancellationToken cancellationToken)
    {
        var result = request.FromRun is { Length: > 0 } runId
            ? await pins.PinFromRunAsync(user.OwnerId(), id, stepId, runId, cancellationToken)
            : await pins.PinValueAsync(user.OwnerId(), id, stepId, request.Output, cancellationToken);
        if (result.Pin is not null)
        {
            return TypedResults.Ok(result.Pin);
        }
        return result.NotFound ? ApiProblems.NotFound(result.Problem!) : ApiProblems.Invalid(result.Field!, result.Problem!);
    }

    private static async Task<Results<Accepted<StepRunResponse>, ValidationProblem, ProblemHttpResult>> RunStepAsync(
        string id, string stepId, StepRunRequest request, ClaimsPrincipal user, StepRuns runs, CancellationToken cancellationToken)
    {
        if (request.FromRun is not { Length: > 0 and <= 64 } fromRun)
        {
            return ApiProblems.Invalid("from_run", "give the id of a past run of this workflow (see GET /api/runs?workflow_id=" + id + ") to take the step's inputs from.");
        }
        var result = await runs.RunAsync(user.OwnerId(), id, stepId, fromRun, cancellationToken);
        if (result.RunId is { } runId)
        {
            return TypedResults.Accepted(RunJson.Location(runId),
                new StepRunResponse(runId, RunStatus.Queued.ToText(), stepId, fromRun, RunJson.Location(runId)));
        }
        return result.NotFound ? ApiProblems.NotFound(result.Problem!) : ApiProblems.Invalid(result.Field!, result.Problem!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> UnpinAsync(
        string id, string stepId, ClaimsPrincipal user, StepPins pins, CancellationToken cancellationToken) =>
        await pins.UnpinAsync(user.OwnerId(), id, stepId, cancellationToken)
            ? TypedResults.NoContent()
            : ApiProblems.NotFound($"Workflow '{id}' has no pin for step '{stepId}'. GET /api/workflows/{id}/pins lists its pins.");
}
