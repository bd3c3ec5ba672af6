using System.Security.Claims;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Api.Runs;

/// <summary><c>POST /api/workflows/execute</c>: queue a run, and by default wait a bounded time for its result.</summary>
public static class ExecuteApi
{
    /// <summary>The seed's execute request; <c>wait</c> (default true) waits up to Api:ExecuteWaitSeconds.</summary>
    /// <param name="UsePins">True for a test run: the workflow's pinned step outputs are used instead of calling those steps. Never by default.</param>
    public sealed record ExecuteRequest(string? WorkflowId, Dictionary<string, JsonNode?>? Variables, bool? Wait, bool? UsePins = null);

    internal static async Task<Results<Ok<ExecuteResult>, Accepted<RunAccepted>, ValidationProblem, ProblemHttpResult>> ExecuteAsync(
        ExecuteRequest request, ClaimsPrincipal user, RunQueue queue, HttpContext context, IOptions<ApiOptions> options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        // resolved only by a call that reads the run back: a RunStore rents a context from the pool and returns it after the request
        RunStore Runs() => context.RequestServices.GetRequiredService<RunStore>();
        if (string.IsNullOrWhiteSpace(request.WorkflowId))
        {
            return ApiProblems.Invalid("workflow_id", "is missing; give the id of the workflow to run.");
        }
        var owner = user.OwnerId();
        var wait = TimeSpan.FromSeconds(options.Value.ExecuteWaitSeconds);
        var variables = request.Variables ?? [];
        // a caller that waits is subscribed before the run is stored: no read of the run's status to find its events
        var waits = request.Wait != false && wait > TimeSpan.Zero;
        var (queued, watch) = request.UsePins == true
            ? await queue.EnqueueTestAsync(owner, request.WorkflowId, variables, waits, cancellationToken)
            : waits
                ? await queue.EnqueueAndWatchAsync(owner, request.WorkflowId, variables, RunOrigin.Api, cancellationToken)
                : (await queue.EnqueueAsync(owner, request.WorkflowId, variables, RunOrigin.Api, cancellationToken), null);
        using var watching = watch;
        if (queued.WorkflowNotFound)
        {
            return Workflows.WorkflowsApi.NotFound(request.WorkflowId);
        }
        if (!queued.Succeeded)
        {
            return ApiProblems.Invalid(queued.Errors, "The run was not started; fix the fields listed under 'errors'.");
        }

        var runId = queued.RunId!;
        var waited = watch is not null && await watch.WaitForFinishAsync(wait, time, cancellationToken);
        // the run as this process just stored it when it ran it from its start; else read back
        var details = (waited ? watch!.Finished : null) ?? await Runs().GetAsync(owner, runId, cancellationToken);
        if (waited && details is not null && details.Run.Status.IsFinished())
        {
            return TypedResults.Ok(RunJson.Executed(details));
        }
        // the status as stored now: a run the worker already picked up says "running", not "queued"
        var status = details?.Run.Status.ToText() ?? "queued";
        var location = RunJson.Location(runId);
        return TypedResults.Accepted(location, new RunAccepted(runId, status, location));
    }
}
