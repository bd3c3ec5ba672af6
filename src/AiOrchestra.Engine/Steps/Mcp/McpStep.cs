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

    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken) =>
        CallToolAsync(
            StepParameters.RequiredText(call.Parameters, "server"),
            StepParameters.RequiredText(call.Parameters, "tool"),
            StepParameters.Object(call.Parameters, "arguments") ?? [],
            call.Context,
            cancellationToken);

    /// <summary>Calls <paramref name="tool"/> of the configured server <paramref name="serverName"/>: its structured content, or its text.</summary>
    public async Task<JsonNode?> CallToolAsync(string serverName, string tool, JsonObject arguments, StepContext context, CancellationToken cancellationToken)
    {
        var (url, provider) = Server(serverName);
        return await provider.RunAsync(context, () => ConnectAsync(url, serverName, provider, async client =>
        {
            var values = arguments.ToDictionary(a => a.Key, a => (object?)JsonSerializer.SerializeToElement(a.Value));
            var result = await client.CallToolAsync(tool, values, cancellationToken: cancellationToken);
            return ResultOf(tool, result, provider);
        }, $"the call of '{tool}'", cancellationToken), cancellationToken);
    }

    /// <summary>The tools the configured server <paramref name="serverName"/> lists (for an agent step that offers them to its model).</summary>
    public async Task<IReadOnlyList<McpToolInfo>> ListToolsAsync(string serverName, StepContext context, CancellationToken cancellationToken)
    {
        var (url, provider) = Server(serverName);
        return await provider.RunAsync(context, () => ConnectAsync(url, serverName, provider, async client =>
        {
            var tools = await client.ListToolsAsync(cancellationToken: cancellationToken);
            return (IReadOnlyList<McpToolInfo>)tools
                .Select(t => new McpToolInfo(t.Name, t.Description ?? "", JsonNode.Parse(t.JsonSchema.GetRawText()) as JsonObject ?? new JsonObject { ["type"] = "object" }))
                .ToList();
        }, "listing its tools", cancellationToken), cancellationToken);
    }

    private (Uri Url, Provider Provider) Server(string serverName)
    {
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
        return (url, new Provider($"MCP server '{serverName}'", $"Mcp:Servers:{serverName}:Token", secrets));
    }

    private async Task<T> ConnectAsync<T>(Uri url, string serverName, Provider provider, Func<McpClient, Task<T>> use, string what, CancellationToken cancellationToken)
    {
        var options = new HttpClientTransportOptions { Endpoint = url, TransportMode = HttpTransportMode.StreamableHttp, Name = provider.Name };
        if (secrets.FromConfiguration($"Mcp:Servers:{serverName}:Token") is { } token)
        {
            options.AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
        }
        try
        {
            await using var transport = new HttpClientTransport(options, httpClients.CreateClient(HttpClientName), logs ?? NullLoggerFactory.Instance, ownsHttpClient: false);
            await using var client = await McpClient.CreateAsync(transport, cancellationToken: cancellationToken);
            return await use(client);
        }
        catch (McpProtocolException e)
        {
            throw new StepFailedException($"{provider.Name} refused {what}: {e.Message}");
        }
        catch (HttpRequestException e) when (e.StatusCode is { } status)
        {
            throw provider.Failure((int)status, null, e.Message, null);
        }
    }

    private static JsonNode? ResultOf(string tool, CallToolResult result, Provider provider)
    {
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

/// <summary>One tool an MCP server lists: its name, description and the JSON Schema of its arguments.</summary>
public sealed record McpToolInfo(string Name, string Description, JsonObject InputSchema);
