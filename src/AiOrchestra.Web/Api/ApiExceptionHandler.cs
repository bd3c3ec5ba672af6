using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Mvc;

namespace AiOrchestra.Web.Api;

/// <summary>
/// Turns what escapes an <c>/api</c> endpoint into problem details: a bad body gets its own status and a sentence
/// saying what to fix; anything else is a generic 500 that names no exception, stack frame or secret.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, StoreFailures failures, ILogger<ApiExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        // the pages' exception handler has already pointed the request at /Error: the feature keeps the path asked for
        var path = context.Features.Get<IExceptionHandlerPathFeature>()?.Path ?? context.Request.Path;
        if (!new PathString(path).StartsWithSegments("/api") || context.Response.HasStarted)
        {
            return false;
        }
        var problem = Describe(exception);
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            failures.Failed();
            log.LogError("{Method} {Path} could not be stored: {Reason}", context.Request.Method, context.Request.Path, exception.Message);
            context.Response.Headers.RetryAfter = ((int)StoreFailures.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (problem.Status == StatusCodes.Status500InternalServerError)
        {
            log.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        }
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    internal static ProblemDetails Describe(Exception exception) => exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => TooLarge(),
        BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => UnsupportedContentType(),
        BadHttpRequestException { InnerException: JsonException json } => MalformedJson(json),
        BadHttpRequestException bad when bad.Message.Contains("no body was provided", StringComparison.Ordinal) => new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Missing body",
            Detail = "This endpoint reads a JSON object from the request body; send one with 'Content-Type: application/json'.",
        },
        BadHttpRequestException bad => BadRequest(bad),
        _ when StoreFailures.IsStorageFailure(exception) => new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Storage unavailable",
            Detail = StoreFailures.Message(exception) + $" (Retry-After: {(int)StoreFailures.RetryAfter.TotalSeconds} s)",
        },
        _ => new ProblemDetails
        {
            Status = StatusCodes.Status500InternalServerError,
            Title = "Unexpected error",
            Detail = "The server could not handle this request; the error is in its log. Try again, and report it if it keeps happening.",
        },
    };

    /// <summary>
    /// Any other request the framework could not bind. Its message names .NET types (<c>Nullable&lt;int&gt; limit</c>),
    /// so only the parameter's name and the value sent are taken from it.
    /// </summary>
    private static ProblemDetails BadRequest(BadHttpRequestException bad)
    {
        var problem = new ProblemDetails { Status = bad.StatusCode, Title = "Bad request" };
        var binding = FailedBinding().Match(bad.Message);
        if (binding.Success)
        {
            var name = binding.Groups["name"].Value;
            var message = $"'{binding.Groups["value"].Value}' is not a valid value; check its format.";
            problem.Detail = $"{name}: {message}";
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [name] = [message] };
        }
        else
        {
            problem.Detail = "The request could not be read; check its parameters, headers and body against the API documentation at /api/docs.";
        }
        return problem;
    }

    [GeneratedRegex("^Failed to bind parameter \"(?:[^\"]* )?(?<name>[^\" ]+)\" from \"(?<value>[^\"]*)\"")]
    private static partial Regex FailedBinding();

    internal static ProblemDetails TooLarge() => new()
    {
        Status = StatusCodes.Status413PayloadTooLarge,
        Title = "Body too large",
        Detail = $"The request body is over the limit of {ApiExtensions.MaxBodyBytes / 1024} KiB; move long texts into prompt templates or send less.",
    };

    internal static ProblemDetails UnsupportedContentType() => new()
    {
        Status = StatusCodes.Status415UnsupportedMediaType,
        Title = "Unsupported content type",
        Detail = "Send the body as JSON with the header 'Content-Type: application/json'.",
    };

    private static ProblemDetails MalformedJson(JsonException json)
    {
        var path = json.Path is null or "$" ? "body" : json.Path.StartsWith("$.", StringComparison.Ordinal) ? json.Path[2..] : json.Path;
        var where = json.LineNumber is { } line ? $" (line {line + 1}, byte {(json.BytePositionInLine ?? 0) + 1})" : "";
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Malformed JSON",
            Detail = $"The body could not be read at '{path}'{where}: {Reason(json)}",
        };
        problem.Extensions["errors"] = new Dictionary<string, string[]> { [path] = [Reason(json)] };
        return problem;
    }

    /// <summary>The parser's message without its .NET type names and position suffix.</summary>
    private static string Reason(JsonException json)
    {
        var message = json.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            var start = message.IndexOf('\'');
            var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
            var name = end > start ? message[(start + 1)..end] : "?";
            return $"unknown field '{name}'; remove it or check its spelling.";
        }
        if (message.Contains("could not be converted to", StringComparison.Ordinal))
        {
            return "the value has the wrong type (for example text where a number or an object is expected).";
        }
        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return "the JSON nests objects and arrays too deeply; flatten it.";
        }
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        }
        return (cut >= 0 ? message[..cut] : message).TrimEnd(' ', '|');
    }
}
