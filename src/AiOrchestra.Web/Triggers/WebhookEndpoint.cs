using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Api.Runs;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Triggers;

/// <summary>
/// <c>POST /hooks/{token}</c>: anonymous, outside <c>/api</c>. Checks the token, the rate limit, the body size and the
/// signature, then queues a run with the request as <c>{{trigger...}}</c> and answers at once (202) or with the run's
/// output.
/// </summary>
public static class WebhookEndpoint
{
    /// <summary>Headers a run may see: not credentials, cookies or signatures.</summary>
    private static readonly string[] HiddenHeaders = ["authorization", "proxy-authorization", "cookie", "x-hub-signature", "x-hub-signature-256", "x-signature-256"];

    private const int MaxHeaders = 50;

    public static void MapWebhooks(this WebApplication app) =>
        app.MapPost("/hooks/{token}", HandleAsync).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

    internal static async Task<IResult> HandleAsync(
        HttpContext context, string token, WebhookRoutes routes, WebhookDeliveries deliveries, RunQueue queue,
        IOptions<TriggerOptions> options, Metrics.OperationMetrics metrics, Alerts.AlertSignals alerts, TimeProvider time, CancellationToken cancellationToken)
    {
        var route = token.Length is > 0 and <= 100 ? await routes.FindAsync(token, cancellationToken) : null;
        if (route is not { Enabled: true })
        {
            // unknown, rotated and disabled look the same: nothing tells a caller which tokens exist
            return Problem(StatusCodes.Status404NotFound, "Not found", "No enabled webhook has this address; copy the current URL from the workflow's editor.");
        }
        if (!route.Limit.TryTake(out var retry))
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Problem(StatusCodes.Status429TooManyRequests, "Too many calls",
                $"This webhook accepts {route.Limit.PerMinute} calls a minute; wait Retry-After seconds, or raise the trigger's max_per_minute.");
        }

        var limit = options.Value.WebhookMaxBodyBytes;
        var body = await ReadBodyAsync(context, limit, cancellationToken);
        if (body is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"A webhook body may hold at most {limit / 1024} KiB; send less, or a reference the workflow fetches.");
        }
        if (route.Trigger.Signed && !SignatureValid(context.Request.Headers, body, route.Secret, out var why))
        {
            return Problem(StatusCodes.Status401Unauthorized, "Bad signature", why);
        }
        if (!TryParseBody(context.Request, body, out var parsed, out var bodyError))
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad body", bodyError);
        }

        var inputs = new Dictionary<string, JsonNode?>(route.Trigger.Variables.Count + 1, StringComparer.Ordinal);
        foreach (var (name, value) in route.Trigger.Variables)
        {
            inputs[name] = value?.DeepClone();
        }
        inputs[WorkflowTrigger.Variable] = new JsonObject
        {
            ["body"] = parsed,
            ["query"] = Query(context.Request.Query),
            ["headers"] = Headers(context.Request.Headers),
        };

        var deliveryKey = DeliveryKey(context.Request.Headers);
        if (deliveryKey is not null)
        {
            var claim = await deliveries.ClaimAsync(route.StateId, deliveryKey, cancellationToken);
            if (!claim.Claimed)
            {
                if (claim.RunId is null)
                {
                    context.Response.Headers.RetryAfter = "1";
                    return Problem(StatusCodes.Status409Conflict, "Delivery in progress", "A delivery with this Idempotency-Key is being started; retry in a second to get its run.");
                }
                var location = RunJson.Location(claim.RunId);
                return TypedResults.Accepted(location, new RunAccepted(claim.RunId, "duplicate", location));
            }
        }

        var origin = RunOrigin.Webhook(route.Trigger.TriggerId);
        var waitSeconds = options.Value.WebhookWaitSeconds;
        var output = route.Trigger.Respond == WebhookResponse.Output && waitSeconds > 0;
        EnqueueResult queued;
        RunWatch? watch = null;
        try
        {
            (queued, watch) = output
                ? await queue.EnqueueAndWatchAsync(route.OwnerId, route.WorkflowId, inputs, origin, cancellationToken)
                : (await queue.EnqueueAsync(route.OwnerId, route.WorkflowId, inputs, origin, cancellationToken), null);
        }
        catch when (deliveryKey is not null)
        {
            await deliveries.ReleaseAsync(route.StateId, deliveryKey, CancellationToken.None);
            throw;
        }
        using var watching = watch;
        metrics.TriggerFired("webhook", route.WorkflowId, queued.Succeeded);
        alerts.TriggerFired(route.OwnerId, route.WorkflowId, route.Trigger.TriggerId, queued.Succeeded, string.Join(" ", queued.Errors));
        if (!queued.Succeeded)
        {
            if (deliveryKey is not null)
            {
                await deliveries.ReleaseAsync(route.StateId, deliveryKey, CancellationToken.None);
            }
            var status = queued.WorkflowNotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
            return Problem(status, "The run was not started", string.Join(" ", queued.Errors.Select(e => e.ToString())));
        }
        var runId = queued.RunId!;
        if (deliveryKey is not null)
        {
            await deliveries.RecordAsync(route.StateId, deliveryKey, runId, CancellationToken.None);
        }
        if (watch is null || !await watch.WaitForFinishAsync(TimeSpan.FromSeconds(waitSeconds), time, cancellationToken))
        {
            var location = RunJson.Location(runId);
            return TypedResults.Accepted(location, new RunAccepted(runId, "queued", location));
        }
        // the run as this process just stored it when it ran it from its start; else the request's own RunStore's read
        var details = watch.Finished ?? await context.RequestServices.GetRequiredService<RunStore>().GetAsync(route.OwnerId, runId, cancellationToken);
        return details is null ? TypedResults.Accepted(RunJson.Location(runId), new RunAccepted(runId, "queued", RunJson.Location(runId))) : Answer(details, route.ResponseStep);
    }

    /// <summary>The chosen step's output: a string as text, anything else as JSON; a failed run as 500 with its errors.</summary>
    private static IResult Answer(RunDetails details, string responseStep)
    {
        if (details.Run.Status != RunStatus.Succeeded)
        {
            var result = RunJson.Executed(details);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status500InternalServerError, title: "The run failed",
                detail: string.Join("\n", result.Errors),
                extensions: new Dictionary<string, object?> { ["run_id"] = details.Run.Id, ["run_status"] = result.Status });
        }
        var step = details.Steps.FirstOrDefault(s => s.StepId == responseStep);
        var output = step?.Output;
        if (output is null)
        {
            return TypedResults.Text("null", "application/json", Encoding.UTF8, StatusCodes.Status200OK);
        }
        if (output.Length > 0 && output[0] == '"')
        {
            return TypedResults.Text(JsonSerializer.Deserialize<string>(output) ?? "", "text/plain; charset=utf-8", Encoding.UTF8);
        }
        return TypedResults.Text(output, "application/json", Encoding.UTF8);
    }


    /// <summary>The raw body, or null when it is larger than <paramref name="limit"/> (read no further than that).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, int limit, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength is { } length && length > limit)
        {
            return null;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            // our own limit is checked below; Kestrel's default would cut a chunked body off with an exception
            feature.MaxRequestBodySize = null;
        }
        var buffer = new MemoryStream(context.Request.ContentLength is { } known ? (int)known : 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>GitHub's <c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c> or ours, <c>X-Signature-256</c>, over the raw body.</summary>
    private static bool SignatureValid(IHeaderDictionary headers, byte[] body, byte[]? secret, out string why)
    {
        if (secret is null)
        {
            why = "This webhook requires a signature but has no secret yet; create one in the workflow's editor.";
            return false;
        }
        var header = headers["X-Hub-Signature-256"].FirstOrDefault() ?? headers["X-Signature-256"].FirstOrDefault();
        if (string.IsNullOrEmpty(header))
        {
            why = "The call carries no signature; send X-Hub-Signature-256 (or X-Signature-256): sha256=<HMAC-SHA256 of the body with the trigger's secret, hex>.";
            return false;
        }
        var hex = header.StartsWith("sha256=", StringComparison.OrdinalIgnoreCase) ? header["sha256=".Length..] : header;
        byte[] given;
        try
        {
            given = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            why = "The signature is not hex; send sha256=<64 hex digits>.";
            return false;
        }
        var expected = HMACSHA256.HashData(secret, body);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            why = "The signature does not match the body; sign the exact bytes sent with the trigger's current secret.";
            return false;
        }
        why = "";
        return true;
    }

    /// <summary>JSON (declared by its content type) as JSON, a form as an object of fields, anything else as text.</summary>
    private static bool TryParseBody(HttpRequest request, byte[] body, out JsonNode? parsed, out string error)
    {
        parsed = null;
        error = "";
        if (body.Length == 0)
        {
            return true;
        }
        var contentType = request.ContentType ?? "";
        if (contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                parsed = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = WorkflowLimits.MaxDepth });
                return true;
            }
            catch (JsonException e)
            {
                error = $"The body is declared JSON ({contentType}) but is not valid JSON: {e.Message.Split(" Path:")[0]} Send valid JSON or another content type.";
                return false;
            }
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            error = "The body is not UTF-8 text; send JSON, a form or UTF-8 text.";
            return false;
        }
        if (contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            var form = new JsonObject();
            foreach (var (name, values) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(text))
            {
                form[name] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            }
            parsed = form;
            return true;
        }
        parsed = JsonValue.Create(text);
        return true;
    }

    private static JsonObject Query(IQueryCollection query)
    {
        var result = new JsonObject();
        foreach (var (name, values) in query)
        {
            result[name] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }
        return result;
    }

    /// <summary>Headers by lower-case name, without credentials, cookies and signatures.</summary>
    private static JsonObject Headers(IHeaderDictionary headers)
    {
        var result = new JsonObject();
        foreach (var (name, values) in headers)
        {
            var key = name.ToLowerInvariant();
            if (result.Count >= MaxHeaders || HiddenHeaders.Contains(key) || key.Contains("token", StringComparison.Ordinal) || key.Contains("secret", StringComparison.Ordinal) || key.Contains("api-key", StringComparison.Ordinal))
            {
                continue;
            }
            result[key] = values.ToString();
        }
        return result;
    }

    private static string? DeliveryKey(IHeaderDictionary headers)
    {
        var key = headers["Idempotency-Key"].FirstOrDefault() ?? headers["X-GitHub-Delivery"].FirstOrDefault();
        return string.IsNullOrWhiteSpace(key) ? null : key.Length > 190 ? key[..190] : key;
    }

    private static IResult Problem(int status, string title, string detail) => TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
