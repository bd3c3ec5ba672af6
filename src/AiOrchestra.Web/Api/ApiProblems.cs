using AiOrchestra.Engine.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiOrchestra.Web.Api;

/// <summary>The API's error answers, all RFC 7807 problem details with a sentence saying what to do.</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail);

    /// <summary>400 with every error under its field path (<c>steps[2].parameters.content</c>); the root is <c>body</c>.</summary>
    public static ValidationProblem Invalid(IEnumerable<ValidationError> errors, string detail = "Fix the fields listed under 'errors' and send the request again.") =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Path.Length == 0 ? "body" : e.Path)
                .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            detail: detail,
            title: "The request has errors");

    public static ValidationProblem Invalid(string path, string message) => Invalid([new ValidationError(path, message)]);
}
