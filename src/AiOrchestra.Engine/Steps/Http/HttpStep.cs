using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Outbound;

namespace AiOrchestra.Engine.Steps.Http;

/// <summary>
/// <c>http</c> / <c>request</c>: calls any HTTP API and outputs <c>{status, headers, body, json}</c>.
/// 408, 429, 5xx and network errors are transient (retried when the step allows, honouring Retry-After);
/// other unexpected statuses fail at once. Errors never show request headers or the query string,
/// which may carry credentials. Redirects are followed here (the host's client does not follow them), at most
/// <see cref="MaxRedirects"/>, and a redirect to another origin carries none of the given headers but
/// <see cref="CrossOriginHeaders"/>: credentials stay with the address the user typed. Where the call may go is the
/// client's <see cref="OutboundPolicy"/>, checked on every connection; a refusal fails the step at once.
/// </summary>
public sealed class HttpStep : IStepType
{
    public const long DefaultMaxResponseBytes = 10 * 1024 * 1024;

    public const int MaxRedirects = 10;

    private const int ExcerptLength = 200;

    /// <summary>The given headers a redirect to another scheme, host or port keeps; the rest may carry credentials.</summary>
    private static readonly HashSet<string> CrossOriginHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Accept", "Accept-Language", "User-Agent", "Content-Type", "Content-Language",
    };

    private readonly HttpClient _client;
    private readonly TimeProvider _time;
    private readonly long _maxResponseBytes;

    /// <param name="client">From IHttpClientFactory in the host.</param>
    /// <param name="timeProvider">Turns a Retry-After date into a wait; the system clock when null.</param>
    /// <param name="maxResponseBytes">Largest response body read; a larger one fails the step.</param>
    public HttpStep(HttpClient client, TimeProvider? timeProvider = null, long maxResponseBytes = DefaultMaxResponseBytes)
    {
        _client = client;
        _time = timeProvider ?? TimeProvider.System;
        _maxResponseBytes = maxResponseBytes;
    }

    public string Name => "http";

    public string Description => "Calls any HTTP API.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("request", "Sends an HTTP request and outputs {status, headers, body, json}.",
        [
            new StepParameter("method", ParameterType.String, Required: false,
                "HTTP method: GET (the default), POST, PUT, PATCH, DELETE, HEAD or OPTIONS."),
            new StepParameter("url", ParameterType.String, Required: true, "The absolute http:// or https:// address to call."),
            new StepParameter("headers", ParameterType.Object, Required: false,
                "Request headers by name, e.g. {\"Authorization\": \"Bearer ...\"}; never shown in logs or errors. "
                + "Host cannot be set. A redirect to another host keeps only Accept, Accept-Language, User-Agent and Content-Type.", Secret: true),
            new StepParameter("body", ParameterType.Any, Required: false,
                "The request body: an object or array is sent as JSON, text as plain text."),
            new StepParameter("expect_status", ParameterType.Any, Required: false,
                "The status code (or list of codes) that counts as success; by default any 2xx."),
        ]),
    ];

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var parameters = call.Parameters;
        var method = MethodOf(StepParameters.Text(parameters, "method") ?? "GET");
        var url = UrlOf(StepParameters.RequiredText(parameters, "url"));
        var expected = ExpectedStatuses(parameters["expect_status"]);
        // The query string is left out of every message: APIs often take keys there.
        var label = $"{method} {url.GetLeftPart(UriPartial.Path)}";

        // HttpClient.Timeout stops at the headers with ResponseHeadersRead, and a server may then stall the body:
        // one deadline covers every redirect hop, the send and the body read.
        using var deadline = _client.Timeout == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(_client.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await SendAndReadAsync(method, url, parameters, expected, label, linked.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StepFailedException($"{label}: no complete response within {_client.Timeout.TotalSeconds:0.#} s", transient: true, inner: e);
        }
    }

    private async Task<JsonNode?> SendAndReadAsync(
        HttpMethod method, Uri url, JsonObject parameters, IReadOnlyList<int>? expected, string label, CancellationToken cancellationToken)
    {
        var response = await SendFollowingRedirectsAsync(method, url, parameters, expected, label, cancellationToken);
        using (response)
        {
            var status = (int)response.StatusCode;
            var success = expected?.Contains(status) ?? status is >= 200 and < 300;
            var body = await ReadBodyAsync(response, label, cancellationToken);

            if (!success)
            {
                var transient = status is 408 or 429 or >= 500;
                var expectation = expected is null ? "" : $" (expected {string.Join(" or ", expected)})";
                var excerpt = body is null ? "" : Excerpt(body);
                throw new StepFailedException(
                    $"{label} returned {status}{(string.IsNullOrEmpty(response.ReasonPhrase) ? "" : " " + response.ReasonPhrase)}{expectation}{(excerpt.Length > 0 ? ": " + excerpt : "")}",
                    transient,
                    transient ? RetryAfterHeader.Wait(response.Headers.RetryAfter, _time) : null);
            }
            if (body is null)
            {
                throw new StepFailedException($"{label}: the response body is larger than {_maxResponseBytes / (1024.0 * 1024):0.##} MiB, the most this step reads");
            }

            return new JsonObject
            {
                ["status"] = status,
                ["headers"] = HeadersOf(response),
                ["body"] = body,
                ["json"] = IsJson(response) ? TryParseJson(body) : null,
            };
        }
    }

    /// <summary>
    /// Sends the request and follows redirects, each hop a new request through the policed client. A redirect status
    /// listed in <c>expect_status</c> is the answer, not followed.
    /// </summary>
    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(
        HttpMethod method, Uri url, JsonObject parameters, IReadOnlyList<int>? expected, string label, CancellationToken cancellationToken)
    {
        var headers = StepParameters.Object(parameters, "headers");
        var body = parameters["body"];
        var target = url;
        for (var redirects = 0; ; redirects++)
        {
            using var request = new HttpRequestMessage(method, target) { Content = ContentOf(body) };
            var sameOrigin = SameOrigin(target, url);
            // after a redirect: credentials only to the first origin, and no body headers once the body is dropped
            AddHeaders(request, headers, target == url
                ? _ => true
                : name => (sameOrigin || CrossOriginHeaders.Contains(name)) && (request.Content is not null || !IsContentHeader(name)));
            var hop = target == url ? label : $"{label} (redirected to {target.GetLeftPart(UriPartial.Path)})";
            var response = await SendAsync(request, hop, cancellationToken);
            if (!IsRedirect(response.StatusCode) || response.Headers.Location is not { } location
                || expected?.Contains((int)response.StatusCode) == true)
            {
                return response;
            }
            response.Dispose();
            var next = new Uri(target, location);
            if (redirects == MaxRedirects)
            {
                throw new StepFailedException($"{label}: more than {MaxRedirects} redirects; the last went to {next.GetLeftPart(UriPartial.Path)}");
            }
            if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
            {
                throw new StepFailedException($"{hop}: redirected to a '{next.Scheme}' address, which the step does not follow");
            }
            if (target.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp)
            {
                throw new StepFailedException($"{hop}: redirected from https to plain http ({next.GetLeftPart(UriPartial.Path)}), which the step does not follow");
            }
            // as browsers do: 303 turns any method but HEAD into GET; 301 and 302 turn POST into GET; 307 and 308 keep both
            var status = (int)response.StatusCode;
            if ((status == 303 && method != HttpMethod.Head) || (status is 301 or 302 && method == HttpMethod.Post))
            {
                method = HttpMethod.Get;
                body = null;
            }
            target = next;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string label, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e) when (OutboundRefusedException.In(e) is { } refused)
        {
            throw new StepFailedException($"{label}: {refused.Message}", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new StepFailedException($"{label}: could not get a response: {e.Message}", transient: true, inner: e);
        }
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    private static bool SameOrigin(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static HttpMethod MethodOf(string text)
    {
        try
        {
            return new HttpMethod(text.Trim().ToUpperInvariant());
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new StepFailedException($"parameter 'method': '{text}' is not an HTTP method (use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS)");
        }
    }

    private static Uri UrlOf(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url))
        {
            throw new StepFailedException("parameter 'url' must be an absolute address starting with http:// or https://");
        }
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
        {
            throw new StepFailedException($"parameter 'url' must use http:// or https://, not '{url.Scheme}'");
        }
        return url;
    }

    private static IReadOnlyList<int>? ExpectedStatuses(JsonNode? value) => value switch
    {
        null => null,
        JsonArray array when array.Count > 0 => array.Select(StatusCodeOf).ToList(),
        JsonArray => throw InvalidExpectStatus(),
        _ => [StatusCodeOf(value)],
    };

    private static int StatusCodeOf(JsonNode? value)
    {
        var code = value switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var number) => number,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && int.TryParse(v.GetValue<string>(), out var number) => number,
            _ => 0,
        };
        return code is >= 100 and <= 599 ? code : throw InvalidExpectStatus();
    }

    private static StepFailedException InvalidExpectStatus() =>
        new("parameter 'expect_status' must be a status code such as 200, or a list of them such as [200, 201]");

    private static HttpContent? ContentOf(JsonNode? body) => body switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => new StringContent(v.GetValue<string>(), Encoding.UTF8, "text/plain"),
        _ => new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
    };

    private static void AddHeaders(HttpRequestMessage request, JsonObject? headers, Func<string, bool> sent)
    {
        foreach (var (name, value) in headers ?? [])
        {
            if (name.Trim().Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                // another Host would reach another site on the same server, past the address check
                throw new StepFailedException("header 'Host' cannot be set: the step sends the host of 'url'; put the host you mean in 'url'");
            }
            if (!sent(name.Trim()))
            {
                continue;
            }
            var text = value switch
            {
                null => "",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonValue v => v.ToJsonString(),
                _ => throw new StepFailedException($"header '{name}' must be text, not an object or array"),
            };
            if (request.Headers.TryAddWithoutValidation(name, text))
            {
                continue;
            }
            // Content headers (Content-Type, ...) belong to the body; a given one replaces the default.
            if (request.Content is not null)
            {
                request.Content.Headers.Remove(name);
                if (request.Content.Headers.TryAddWithoutValidation(name, text))
                {
                    continue;
                }
            }
            throw new StepFailedException(request.Content is null && IsContentHeader(name)
                ? $"header '{name}' describes a body, but the request has no 'body'"
                : $"header '{name}' cannot be sent: check its name");
        }
    }

    private static bool IsContentHeader(string name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) || name.Equals("Expires", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase) || name.Equals("Allow", StringComparison.OrdinalIgnoreCase);

    /// <summary>The body as text, or null when it is larger than the limit.</summary>
    private async Task<string?> ReadBodyAsync(HttpResponseMessage response, string label, CancellationToken cancellationToken)
    {
        var length = response.Content.Headers.ContentLength;
        if (length > _maxResponseBytes)
        {
            return null;
        }
        // sized from Content-Length when the server sends it, and read through a pooled chunk: a new 80 KB chunk per
        // call was half of what a run of two http steps allocated
        using var buffer = new MemoryStream(length is > 0 and <= int.MaxValue ? (int)length.Value : 0);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > _maxResponseBytes)
                {
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new StepFailedException($"{label}: the response broke off while reading its body: {e.Message}", transient: true, inner: e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (!StartsWithByteOrderMark(bytes))
        {
            return EncodingOf(response).GetString(bytes);
        }
        // a byte order mark names the encoding, whatever the header says: the reader detects and skips it
        buffer.Position = 0;
        using var reader = new StreamReader(buffer, EncodingOf(response), detectEncodingFromByteOrderMarks: true);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    /// <summary>The marks <see cref="StreamReader"/> detects: UTF-8, UTF-16 either way, UTF-32 either way.</summary>
    private static bool StartsWithByteOrderMark(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])
        || bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]);

    private static Encoding EncodingOf(HttpResponseMessage response)
    {
        var charset = response.Content.Headers.ContentType?.CharSet?.Trim('"');
        if (string.IsNullOrEmpty(charset))
        {
            return Encoding.UTF8;
        }
        try
        {
            return Encoding.GetEncoding(charset);
        }
        catch (ArgumentException)
        {
            return Encoding.UTF8;
        }
    }

    private static JsonObject HeadersOf(HttpResponseMessage response)
    {
        var headers = new JsonObject();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers[name.ToLowerInvariant()] = string.Join(", ", values);
        }
        return headers;
    }

    private static bool IsJson(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType is { } type
        && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static JsonNode? TryParseJson(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Excerpt(string body)
    {
        var flat = string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= ExcerptLength ? flat : flat[..ExcerptLength] + "…";
    }
}
