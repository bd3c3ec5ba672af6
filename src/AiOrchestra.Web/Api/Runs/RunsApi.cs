using AiOrchestra.Web.Tokens;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Api.Runs;

/// <summary><c>/api/runs</c>: the token's user's run history, live events, log export and cancel.</summary>
public static partial class RunsApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <param name="Next">The <c>before</c> of the next (older) page; null on the last page.</param>
    public sealed record RunList(IReadOnlyList<RunSummary> Runs, int Offset, int Limit, bool HasMore, string? Next);

    public sealed record CancelResponse(string RunId, string Status);

    /// <summary>A resumed run: the new run, the run it resumes, the step it executes from and the workflow version it uses.</summary>
    public sealed record ResumeResponse(string RunId, string Status, string ResumedFromRunId, string FromStep, int WorkflowVersion, string Location);

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/runs").WithTags("Runs").RequireAuthorization(ApiAuthentication.Policy);
        group.MapGet("/", ListAsync).WithSummary("List your runs, newest first (filters: workflow_id, status, from, to; pages: before = the previous page's next)");
        group.MapGet("/{id}", GetAsync).WithSummary("A run with its steps, outputs and errors");
        group.MapGet("/{id}/events", EventsAsync)
            .WithSummary("The run's events as Server-Sent Events: the state so far, then live, ending with run-finished (send Last-Event-ID to resume)")
            .Produces<RunEvent>(contentType: "text/event-stream");
        group.MapGet("/{id}/steps/{stepId}/output", OutputAsync)
            .WithSummary("One step's full output (the event stream leaves out outputs over Runs:MaxDisplayedOutputBytes and links here)")
            .Produces<JsonNode>();
        group.MapGet("/{id}/log", LogAsync).WithSummary("The run's log in the seed's export structure");
        group.MapPost("/{id}/cancel", CancelAsync).WithSummary("Cancel a queued, running or waiting run").RequireScope(TokenScopes.Run);
        group.MapApprovals();
        group.MapPost("/{id}/resume", ResumeAsync)
            .WithSummary("Resume a failed or cancelled run from its failed step: a new linked run reuses the outputs of the steps that succeeded")
            .RequireScope(TokenScopes.Run);
        return app;
    }

    // The filters are read as text so a bad value gets a sentence naming the field, not the framework's binding error.
    private static async Task<Results<Ok<RunList>, ValidationProblem>> ListAsync(
        ClaimsPrincipal user, RunStore runs,
        [FromQuery(Name = "workflow_id")] string? workflowId, string? status, string? from, string? to,
        string? offset, string? limit, string? before, CancellationToken cancellationToken)
    {
        var errors = new List<Engine.Workflows.ValidationError>();
        RunStatus? wanted = null;
        if (status is not null)
        {
            wanted = Enum.GetValues<RunStatus>().Select(s => (RunStatus?)s).FirstOrDefault(s => s!.Value.ToText() == status);
            if (wanted is null)
            {
                errors.Add(new("status", $"'{status}' is not a run status; use one of {string.Join(", ", Enum.GetValues<RunStatus>().Select(s => s.ToText()))}."));
            }
        }
        var start = Date("from", from, errors);
        var end = Date("to", to, errors);
        var take = Number("limit", limit, DefaultLimit, errors);
        var skip = Number("offset", offset, 0, errors);
        if (take is < 1 or > MaxLimit)
        {
            errors.Add(new("limit", $"must be between 1 and {MaxLimit}."));
        }
        if (skip < 0)
        {
            errors.Add(new("offset", "must be 0 or more."));
        }
        RunCursor? cursor = null;
        if (before is not null)
        {
            if (!RunCursor.TryParse(before, out var parsed))
            {
                errors.Add(new("before", $"'{before}' is not a page cursor; pass the 'next' of the previous page as it was given."));
            }
            else if (skip > 0)
            {
                errors.Add(new("offset", "give either before (the previous page's next) or offset, not both."));
            }
            cursor = parsed;
        }
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(errors);
        }

        var filter = new RunFilter { WorkflowId = workflowId, Status = wanted, From = start, To = end, Skip = skip, Take = take, Before = cursor };
        var page = await runs.ListAsync(user.OwnerId(), filter, cancellationToken);
        return TypedResults.Ok(new RunList(page.Runs.Select(RunJson.Summary).ToList(), skip, take, page.HasMore, page.Next?.ToString()));
    }

    private static async Task<Results<Ok<RunDetail>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, RunStore runs, RunResumption resumption, CancellationToken cancellationToken)
    {
        var details = await runs.GetAsync(user.OwnerId(), id, cancellationToken);
        if (details is null)
        {
            return NotFound(id);
        }
        var resumedBy = details.Run.Status is RunStatus.Failed or RunStatus.Cancelled
            ? await resumption.ResumedByAsync(user.OwnerId(), id, cancellationToken)
            : [];
        return TypedResults.Ok(RunJson.Detail(details, await runs.ChildrenAsync(id, cancellationToken)) with { ResumedBy = resumedBy });
    }

    private static async Task<Results<Accepted<ResumeResponse>, ProblemHttpResult>> ResumeAsync(
        string id, ClaimsPrincipal user, RunResumption resumption, CancellationToken cancellationToken)
    {
        var result = await resumption.ResumeAsync(user.OwnerId(), id, cancellationToken);
        if (!result.Found)
        {
            return NotFound(id);
        }
        if (result.RunId is not { } runId)
        {
            return ApiProblems.Conflict($"Run '{id}' cannot be resumed. {result.Plan!.Refusal}");
        }
        var plan = result.Plan!;
        return TypedResults.Accepted(RunJson.Location(runId),
            new ResumeResponse(runId, RunStatus.Queued.ToText(), id, plan.FromStepId, plan.VersionNumber, RunJson.Location(runId)));
    }

    private static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> LogAsync(
        string id, ClaimsPrincipal user, RunStore runs, CancellationToken cancellationToken)
    {
        var log = await runs.ExportAsync(user.OwnerId(), id, cancellationToken);
        return log is null ? NotFound(id) : TypedResults.Ok(log);
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> OutputAsync(
        string id, string stepId, ClaimsPrincipal user, RunStore runs, CancellationToken cancellationToken)
    {
        var details = await runs.GetAsync(user.OwnerId(), id, cancellationToken);
        if (details is null)
        {
            return NotFound(id);
        }
        var step = details.Steps.FirstOrDefault(s => s.StepId == stepId);
        return step?.Output is { } output
            ? TypedResults.Text(output, "application/json; charset=utf-8")
            : ApiProblems.NotFound($"Run '{id}' has no output of a step '{stepId}'. GET {RunJson.Location(id)} lists its steps.");
    }

    private static async Task<Results<ServerSentEventsResult<RunEvent>, ProblemHttpResult>> EventsAsync(
        string id, ClaimsPrincipal user, AppDbContext db, RunEvents events, IOptions<RunOptions> options, LiveStreams streams, HttpContext http,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventId, CancellationToken cancellationToken)
    {
        var owner = user.OwnerId();
        if (!await db.Runs.AnyAsync(r => r.Id == id && r.OwnerId == owner, cancellationToken))
        {
            return NotFound(id);
        }
        if (!streams.TryOpen(http, owner))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many live streams", detail: streams.Refusal);
        }
        var after = long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : 0;
        // the event type goes on each item: the eventType argument would wrap every item as JSON (dotnet/aspnetcore#64183)
        return TypedResults.ServerSentEvents(Stream(events, owner, id, after, options.Value.MaxDisplayedOutputBytes, cancellationToken));
    }

    private static async IAsyncEnumerable<SseItem<RunEvent>> Stream(
        RunEvents events, string owner, string runId, long after, int maxOutputBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in events.SubscribeAsync(owner, runId, after, cancellationToken))
        {
            yield return new SseItem<RunEvent>(WithoutLargeOutput(item, maxOutputBytes), item.Type)
            {
                EventId = item.Sequence.ToString(CultureInfo.InvariantCulture),
            };
        }
    }

    /// <summary>An output over the limit is left out of the event, which says how large it is and where to get it.</summary>
    private static RunEvent WithoutLargeOutput(RunEvent item, int maxOutputBytes)
    {
        if (item.Output is null || item.StepId is null || JsonSize.Of(item.Output, maxOutputBytes + 1L) <= maxOutputBytes)
        {
            return item;
        }
        return item with
        {
            Output = null,
            OutputBytes = JsonSize.Of(item.Output),
            OutputUrl = $"{RunJson.Location(item.RunId)}/steps/{Uri.EscapeDataString(item.StepId)}/output",
        };
    }

    private static async Task<Results<Ok<CancelResponse>, Accepted<CancelResponse>, ProblemHttpResult>> CancelAsync(
        string id, ClaimsPrincipal user, RunQueue queue, CancellationToken cancellationToken)
    {
        return await queue.CancelAsync(user.OwnerId(), id, cancellationToken) switch
        {
            CancelResult.Cancelled => TypedResults.Ok(new CancelResponse(id, RunStatus.Cancelled.ToText())),
            CancelResult.CancelRequested => TypedResults.Accepted(RunJson.Location(id), new CancelResponse(id, "cancelling")),
            CancelResult.AlreadyFinished => ApiProblems.Conflict($"Run '{id}' has already finished; there is nothing to cancel."),
            _ => NotFound(id),
        };
    }

    /// <summary>An ISO 8601 date or date and time (UTC unless it gives an offset); null when not given or not valid.</summary>
    private static DateTimeOffset? Date(string field, string? text, List<Engine.Workflows.ValidationError> errors)
    {
        if (text is null)
        {
            return null;
        }
        if (IsoDatePrefix().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            return date;
        }
        errors.Add(new(field, $"'{text}' is not an ISO 8601 date; write e.g. 2025-01-31 or 2025-01-31T08:00:00Z."));
        return null;
    }

    private static int Number(string field, string? text, int missing, List<Engine.Workflows.ValidationError> errors)
    {
        if (text is null)
        {
            return missing;
        }
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }
        errors.Add(new(field, $"'{text}' is not a whole number."));
        return missing;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}")]
    private static partial System.Text.RegularExpressions.Regex IsoDatePrefix();

    private static ProblemHttpResult NotFound(string id) => ApiProblems.NotFound($"You have no run '{id}'. GET /api/runs lists yours.");
}
