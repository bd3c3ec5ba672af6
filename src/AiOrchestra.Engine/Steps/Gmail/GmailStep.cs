using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Engine.Steps.Gmail;

/// <summary><c>gmail</c>: list, search and read the configured account's mail on the Gmail REST API (v1), with OAuth 2.0.</summary>
public sealed class GmailStep(IHttpClientFactory httpClients, IOptions<GmailOptions> options, IntegrationSecrets secrets, GmailAccessToken accessToken, TimeProvider? time = null)
    : IStepType
{
    public const string HttpClientName = "gmail";

    private readonly Provider _provider = GmailIntegration.Declaration.Provider(secrets, time);

    public string Name => "gmail";

    public string Description => "Read mail from the configured Gmail account.";

    private static readonly StepParameter MaxResults = new("max_results", ParameterType.Integer, false, "How many messages, 1 to 100 (default 10).");

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("list_messages", "List messages matching a Gmail search (headers and snippet).",
        [
            new("query", ParameterType.String, false, "A Gmail search, e.g. is:unread from:boss@example.com."),
            MaxResults,
        ]),
        new("get_message", "Read one message with its body.",
        [
            new("id", ParameterType.String, true, "The message id (from list_messages or search)."),
        ]),
        new("search", "Find messages matching a Gmail search, with their bodies.",
        [
            new("query", ParameterType.String, true, "A Gmail search, e.g. subject:invoice newer_than:7d."),
            MaxResults,
        ]),
    ];

    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var parameters = call.Parameters;
        Func<HttpClient, Task<JsonNode?>> action = call.Action switch
        {
            "list_messages" => List(StepParameters.Text(parameters, "query"), StepParameters.Integer(parameters, "max_results", 1, 100) ?? 10, withBodies: false, cancellationToken),
            "search" => List(StepParameters.RequiredText(parameters, "query"), StepParameters.Integer(parameters, "max_results", 1, 100) ?? 10, withBodies: true, cancellationToken),
            "get_message" => Get(StepParameters.RequiredText(parameters, "id").Trim(), cancellationToken),
            _ => throw new StepFailedException($"gmail has no action '{call.Action}'"),
        };
        foreach (var key in GmailIntegration.Declaration.Credentials.Select(credential => credential.Key))
        {
            secrets.Require(key);
        }
        var baseUrl = options.Value.BaseUrl;
        if (!Uri.TryCreate(baseUrl.TrimEnd('/') + "/gmail/v1/users/me/", UriKind.Absolute, out var baseAddress))
        {
            throw new StepFailedException($"{GmailIntegration.BaseUrl} '{baseUrl}' is not an absolute URL (e.g. https://gmail.googleapis.com)");
        }
        return _provider.RunAsync(call.Context, async () =>
        {
            var token = await accessToken.GetAsync(_provider, cancellationToken);
            var http = httpClients.CreateClient(HttpClientName);
            http.BaseAddress = baseAddress;
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return await action(http);
        }, cancellationToken);
    }

    private Func<HttpClient, Task<JsonNode?>> List(string? query, int maxResults, bool withBodies, CancellationToken cancellationToken) => async http =>
    {
        var path = $"messages?maxResults={maxResults}" + (string.IsNullOrWhiteSpace(query) ? "" : $"&q={Uri.EscapeDataString(query)}");
        var list = await GetJsonAsync(http, path, cancellationToken);
        var messages = new JsonArray();
        foreach (var id in (list["messages"] as JsonArray ?? []).Select(m => (string?)m?["id"]).OfType<string>().Take(maxResults))
        {
            // Sequential on purpose: Gmail's per-user quota punishes bursts, and a handful of messages is the common case.
            var format = withBodies ? "format=full" : "format=metadata&metadataHeaders=Subject&metadataHeaders=From&metadataHeaders=To&metadataHeaders=Date";
            var message = await GetJsonAsync(http, $"messages/{Uri.EscapeDataString(id)}?{format}", cancellationToken);
            messages.Add(GmailMessage.ToOutput(message, withBodies));
        }
        return messages;
    };

    private Func<HttpClient, Task<JsonNode?>> Get(string id, CancellationToken cancellationToken) => async http =>
        GmailMessage.ToOutput(await GetJsonAsync(http, $"messages/{Uri.EscapeDataString(id)}?format=full", cancellationToken), withBody: true);

    private async Task<JsonNode> GetJsonAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        return await _provider.ReadJsonAsync(response, cancellationToken);
    }
}
