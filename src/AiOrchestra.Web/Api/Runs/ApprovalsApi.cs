using AiOrchestra.Web.Tokens;
using System.Security.Claims;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AiOrchestra.Web.Api.Runs;

/// <summary><c>POST /api/runs/{id}/approve</c> and <c>/reject</c>: answer a waiting run's approval step.</summary>
public static class ApprovalsApi
{
    /// <summary>
    /// The optional body: a comment kept in the step's output, and the approval step answered, needed only when the
    /// run waits for more than one (parallel branches).
    /// </summary>
    public sealed record ApprovalRequest(string? Comment, string? StepId = null);

    /// <summary>The run goes on (queued): the approval step's id and its output <c>{approved, by, comment, at}</c>.</summary>
    public sealed record ApprovalResponse(string RunId, string Status, string StepId, JsonObject Output);

    public static RouteGroupBuilder MapApprovals(this RouteGroupBuilder runs)
    {
        runs.MapPost("/{id}/approve", (string id, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] ApprovalRequest? request,
                ClaimsPrincipal user, RunApprovals approvals, CancellationToken cancellationToken) =>
                AnswerAsync(id, approved: true, request, user, approvals, cancellationToken))
            .WithSummary("Approve a waiting run's approval step: the run goes on after it (step_id names it when several wait; 404 for no such run of yours, 400 when step_id is not a waiting approval, 409 when it is not waiting for approval or step_id is needed)")
            .RequireScope(TokenScopes.Run);
        runs.MapPost("/{id}/reject", (string id, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] ApprovalRequest? request,
                ClaimsPrincipal user, RunApprovals approvals, CancellationToken cancellationToken) =>
                AnswerAsync(id, approved: false, request, user, approvals, cancellationToken))
            .WithSummary("Reject a waiting run's approval step: the step fails with the reason, so the run fails unless the step continues on error")
            .RequireScope(TokenScopes.Run);
        return runs;
    }

    private static async Task<Results<Ok<ApprovalResponse>, ValidationProblem, ProblemHttpResult>> AnswerAsync(
        string id, bool approved, ApprovalRequest? request, ClaimsPrincipal user, RunApprovals approvals, CancellationToken cancellationToken)
    {
        if (request?.Comment is { Length: > RunApprovals.MaxCommentLength } comment)
        {
            return ApiProblems.Invalid("comment", $"is {comment.Length} characters; at most {RunApprovals.MaxCommentLength} are kept. Shorten it.");
        }
        var result = await approvals.AnswerAsync(user.OwnerId(), id, request?.StepId, approved, request?.Comment, cancellationToken);
        return result.Outcome switch
        {
            AnswerOutcome.NotAWaitingApproval => ApiProblems.Invalid(
                "step_id", $"'{result.StepId}' is not an approval this run waits for; it waits for: {string.Join(", ", result.Waiting!)}."),
            AnswerOutcome.Approved or AnswerOutcome.Rejected => TypedResults.Ok(new ApprovalResponse(id, "queued", result.StepId!, result.Output!)),
            AnswerOutcome.NotFound => ApiProblems.NotFound($"You have no run '{id}'. GET /api/runs?status=waiting lists your runs waiting for approval."),
            _ => ApiProblems.Conflict(RunApprovals.Refusal(id, result)),
        };
    }
}
