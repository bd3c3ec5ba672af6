using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Engine.Steps.Integrations;

/// <summary>
/// One remote service a step type talks to: its display name and the setting that holds its credential.
/// Runs the step's calls and turns every way they can fail into a <see cref="StepFailedException"/> a person can act on,
/// scrubbed of secrets.
/// </summary>
public sealed class Provider(string name, string credentialKey, IntegrationSecrets secrets, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name { get; } = name;

    public string CredentialKey { get; } = credentialKey;

    /// <summary>
    /// Runs <paramref name="call"/> counting its HTTP requests into <see cref="StepContext.HttpAttempts"/>.
    /// Failures of the transport are transient (the engine may retry the step); a response the code cannot read is not.
    /// </summary>
    public async Task<T> RunAsync<T>(StepContext context, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var attempts = HttpAttempts.Begin();
        try
        {
            return await call();
        }
        catch (StepFailedException e)
        {
            // The request count shows that a transient failure was retried; a permanent one was not retried at all.
            throw Failed(e.Transient ? e.Message + Requests(attempts) : e.Message, e.Transient, e.RetryAfter);
        }
        catch (HttpRequestException e)
        {
            throw Failed($"could not reach {Name}: {e.Message}{Requests(attempts)}", transient: true);
        }
        catch (TimeoutException e)
        {
            throw Failed($"{Name} did not answer in time ({e.Message}){Requests(attempts)}", transient: true);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed($"{Name} did not answer in time ({e.Message}){Requests(attempts)}", transient: true);
        }
        catch (JsonException e)
        {
            throw Failed($"{Name} sent a response that could not be read as JSON: {e.Message}", transient: false);
        }
        finally
        {
            context.HttpAttempts = attempts.Count;
        }
    }

    /// <summary>Throws when <paramref name="response"/> is not a success, with the provider's own error message.</summary>
    public async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        throw Failure((int)response.StatusCode, response.ReasonPhrase, body, RetryAfterHeader.Wait(response.Headers.RetryAfter, _time));
    }

    /// <summary>Checks the status, then reads the body as JSON (a body that is not JSON is a clear, permanent failure).</summary>
    public async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonNode.Parse(body) ?? throw new JsonException("the body is the JSON literal null");
        }
        catch (JsonException e)
        {
            throw new StepFailedException($"{Name} sent a response that could not be read as JSON: {e.Message}");
        }
    }

    /// <summary>
    /// The failure for an HTTP error status: 408, 429 and 5xx are transient (the pipeline already retried them;
    /// the engine's step retry may still apply), other statuses are permanent.
    /// </summary>
    public StepFailedException Failure(int status, string? reason, string body, TimeSpan? retryAfter)
    {
        var transient = status is 408 or 429 or >= 500;
        var reasonText = ReasonOf(status) ?? reason ?? "";
        var message = $"{Name} answered {status} {reasonText}: {ErrorMessageOf(body)}";
        if (status is 401 or 403)
        {
            message += $" (check the {CredentialKey} setting)";
        }
        return Failed(message, transient, transient ? retryAfter : null);
    }

    /// <summary>The start of a reply for an error text, secrets masked before it is cut so none is left half-shown.</summary>
    public string Excerpt(string body)
    {
        var flat = secrets.Scrub(string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        return flat.Length == 0 ? "an empty body" : flat.Length <= 300 ? flat : flat[..300] + "…";
    }

    /// <summary>How long a raw Retry-After header value asks to wait, a date measured from the injected clock.</summary>
    public TimeSpan? RetryAfter(string? header) => RetryAfterHeader.Wait(header, _time);

    private StepFailedException Failed(string message, bool transient, TimeSpan? retryAfter = null) =>
        new(secrets.Scrub(message), transient, retryAfter);

    private static string Requests(HttpAttempts attempts) =>
        attempts.Count > 1 ? $" (after {attempts.Count} HTTP requests)" : "";

    /// <summary>The standard reason phrase ("Not Found"), the same whichever SDK reported the status.</summary>
    private static string? ReasonOf(int status)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        return response.ReasonPhrase;
    }

    /// <summary>
    /// The human part of a provider's error body: <c>error.message</c> (OpenAI, Google), <c>message</c> (GitHub, Notion),
    /// <c>error_description</c> or <c>error</c> (OAuth); otherwise the start of the body as text.
    /// </summary>
    private string ErrorMessageOf(string body)
    {
        // Mask before cutting: a secret cut in half at the limit would no longer match and would show its start.
        body = secrets.Scrub(body);
        try
        {
            if (JsonNode.Parse(body) is JsonObject json)
            {
                var text = Text(json["error"] is JsonObject error ? error["message"] : null)
                    ?? Text(json["message"])
                    ?? Text(json["error_description"])
                    ?? Text(json["error"]);
                if (text is not null)
                {
                    return text;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to the body as text.
        }
        var trimmed = body.Trim();
        if (trimmed.Length == 0)
        {
            return "(no details in the response)";
        }
        return trimmed.Length <= 300 ? trimmed : trimmed[..300] + "…";
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > 0 } text
            ? text
            : null;
}
