using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Engine.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AiOrchestra.Engine.Steps.Mcp;

/// <summary>
/// <c>mcp</c> <c>call</c>: calls one tool of an external MCP server (Streamable HTTP). Servers are configured by name under
/// <c>Mcp:Servers:&lt;name&gt;</c> with <c>Url</c> and an optional bearer <c>Token</c>, so a workflow names a server and never
/// holds its address or credential. A tool call is not retried by the HTTP pipeline: it may have effects.
/// </summary>
public sealed class McpStep(IHttpClientFactory httpClients, IConfiguration configuration, IntegrationSecrets secrets, ILoggerFactory? logs = null)
    : IStepType
{
    public const string HttpClientName = "mcp";
    private const int MaxTextBytes = 1024 * 1024;

    public string Name => "mcp";

    public string Description => "Call a tool of an external MCP server configured under Mcp:Servers.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("call", "Call one tool and output its result (its structured content, or its text).",
        [
            new("server", ParameterType.String, true, "The server's name, as configured under Mcp:Servers:<name> (Url and Token)."),
            new("tool", ParameterType.String, true, "The tool's name, as the server lists it."),
            new("arguments", ParameterType.Object, false, "The tool's arguments."),
        ]),
    ];

    /// <summary>The configured servers' names.</summary>
    public IReadOnlyList<string> Servers => configuration.GetSection("Mcp:Servers").GetChildren().Select(s => s.Key).Order(StringComparer.Ordinal).ToList();

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var serverName = StepParameters.RequiredText(call.Parameters, "server");
        var tool = StepParameters.RequiredText(call.Parameters, "tool");
        var arguments = StepParameters.Object(call.Parameters, "arguments") ?? [];
        var server = configuration.GetSection($"Mcp:Servers:{serverName}");
        if (!server.Exists())
        {
            var known = Servers;
            var list = known.Count == 0 ? "no MCP servers are configured (set Mcp__Servers__<name>__Url)" : $"the configured servers are: {string.Join(", ", known)}";
            throw new StepFailedException($"parameter 'server': there is no MCP server '{serverName}'{Spelling.DidYouMean(serverName, known)}; {list}");
        }
        if (!Uri.TryCreate(server["Url"], UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new StepFailedException($"Mcp:Servers:{serverName}:Url '{server["Url"]}' is not an http(s) address");
        }
        var provider = new Provider($"MCP server '{serverName}'", $"Mcp:Servers:{serverName}:Token", secrets);
        return await provider.RunAsync(call.Context, () => CallAsync(url, secrets.FromConfiguration($"Mcp:Servers:{serverName}:Token"), tool, arguments, provider, cancellationToken), cancellationToken);
    }

    private async Task<JsonNode?> CallAsync(Uri url, string? token, string tool, JsonObject arguments, Provider provider, CancellationToken cancellationToken)
    {
        var options = new HttpClientTransportOptions { Endpoint = url, TransportMode = HttpTransportMode.StreamableHttp, Name = provider.Name };
        if (token is not null)
        {
            options.AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
        }
        CallToolResult result;
        try
        {
            await using var transport = new HttpClientTransport(options, httpClients.CreateClient(HttpClientName), logs ?? NullLoggerFactory.Instance, ownsHttpClient: false);
            await using var client = await McpClient.CreateAsync(transport, cancellationToken: cancellationToken);
            var values = arguments.ToDictionary(a => a.Key, a => (object?)JsonSerializer.SerializeToElement(a.Value));
            result = await client.CallToolAsync(tool, values, cancellationToken: cancellationToken);
        }
        catch (McpProtocolException e)
        {
            throw new StepFailedException($"{provider.Name} refused the call of '{tool}': {e.Message}");
        }
        catch (HttpRequestException e) when (e.StatusCode is { } status)
        {
            throw provider.Failure((int)status, null, e.Message, null);
        }
        var text = new StringBuilder();
        foreach (var block in result.Content.OfType<TextContentBlock>())
        {
            text.Append(text.Length > 0 ? "\n" : "").Append(block.Text);
            if (text.Length > MaxTextBytes)
            {
                throw new StepFailedException($"{provider.Name} answered '{tool}' with more than {MaxTextBytes / 1024} KiB of text");
            }
        }
        if (result.IsError == true)
        {
            throw new StepFailedException($"tool '{tool}' of {provider.Name} failed: {(text.Length > 0 ? text.ToString() : "(no message)")}");
        }
        return result.StructuredContent is { } structured ? JsonNode.Parse(structured.GetRawText()) : JsonValue.Create(text.ToString());
    }
}
