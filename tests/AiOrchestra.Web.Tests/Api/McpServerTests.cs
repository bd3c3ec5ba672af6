using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>The MCP server at /mcp, driven by the official C# MCP client over Streamable HTTP against the real Kestrel host.</summary>
public sealed class McpServerTests : IClassFixture<ApiFactory>
{
    private readonly ApiFactory _app;

    public McpServerTests(ApiFactory app) => _app = app;

    internal static JsonObject Greeting(string workflowId, bool expose, string? toolName = null)
    {
        var workflow = new JsonObject
        {
            ["workflow_id"] = workflowId,
            ["name"] = "Greet someone",
            ["description"] = "Writes a greeting for a name.",
            ["steps"] = new JsonArray(new JsonObject
            {
                ["step_id"] = "greet",
                ["step_type"] = "template",
                ["action"] = "render",
                ["parameters"] = new JsonObject { ["text"] = "Hello {{name}}, {{times}} times" },
            }),
            ["variables"] = new JsonObject { ["name"] = "world", ["times"] = 1 },
        };
        workflow["mcp"] = toolName is null ? new JsonObject { ["expose"] = expose } : new JsonObject { ["expose"] = expose, ["tool_name"] = toolName };
        return workflow;
    }

    internal static async Task<McpClient> ConnectAsync(ApiFactory app, string token)
    {
        using var probe = app.Anonymous();
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(probe.BaseAddress!, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        });
        return await McpClient.CreateAsync(transport);
    }

    private async Task<(HttpClient Api, string Token)> UserAsync()
    {
        var name = "mcp-" + Guid.NewGuid().ToString("N")[..8];
        var api = await _app.NewUserAsync(name);
        return (api, await _app.LoginAsync(name, ApiFactory.AdminPassword));
    }

    private static async Task SaveAsync(HttpClient api, JsonObject workflow)
    {
        var response = await api.PostAsJsonAsync("/api/workflows", workflow);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static async Task<int> RunCountAsync(HttpClient api) =>
        (await (await api.GetAsync("/api/runs")).JsonAsync())["runs"]!.AsArray().Count;

    [Fact]
    public async Task Only_the_token_users_exposed_workflows_are_listed_with_their_variables_as_arguments()
    {
        var (api, token) = await UserAsync();
        var (other, _) = await UserAsync();
        await SaveAsync(api, Greeting("greet", expose: true, toolName: "say_hello"));
        await SaveAsync(api, Greeting("private_greet", expose: false));
        await SaveAsync(other, Greeting("someone_elses", expose: true));

        await using var client = await ConnectAsync(_app, token);
        var tools = await client.ListToolsAsync();

        var tool = Assert.Single(tools);
        Assert.Equal("say_hello", tool.Name);
        Assert.Equal("Writes a greeting for a name.", tool.Description);
        var schema = JsonNode.Parse(tool.JsonSchema.GetRawText())!;
        Assert.Equal("string", (string?)schema["properties"]!["name"]!["type"]);
        Assert.Equal("number", (string?)schema["properties"]!["times"]!["type"]);
        Assert.False((bool)schema["additionalProperties"]!);
    }

    [Fact]
    public async Task A_tool_call_runs_the_workflow_and_answers_with_its_outputs()
    {
        var (api, token) = await UserAsync();
        await SaveAsync(api, Greeting("greet", expose: true));
        await using var client = await ConnectAsync(_app, token);

        var result = await client.CallToolAsync("greet", new Dictionary<string, object?> { ["name"] = "Ada", ["times"] = 3 });

        Assert.NotEqual(true, result.IsError);
        var answer = JsonNode.Parse(result.StructuredContent!.Value.GetRawText())!;
        Assert.True((bool)answer["success"]!);
        Assert.Equal("Hello Ada, 3 times", (string?)answer["outputs"]!["greet"]);
        Assert.Contains("Hello Ada, 3 times", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        var run = await (await api.GetAsync($"/api/runs/{(string)answer["run_id"]!}")).JsonAsync();
        Assert.Equal("mcp", (string?)run["origin"]);
    }

    [Fact]
    public async Task An_unknown_tool_or_wrong_arguments_are_json_rpc_errors_and_nothing_runs()
    {
        var (api, token) = await UserAsync();
        await SaveAsync(api, Greeting("greet", expose: true));
        await SaveAsync(api, Greeting("hidden", expose: false));
        await using var client = await ConnectAsync(_app, token);

        var unknown = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("gret").AsTask());
        var hidden = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("hidden").AsTask());
        var misspelt = await Assert.ThrowsAsync<McpProtocolException>(() =>
            client.CallToolAsync("greet", new Dictionary<string, object?> { ["nme"] = "Ada" }).AsTask());
        var wrongType = await Assert.ThrowsAsync<McpProtocolException>(() =>
            client.CallToolAsync("greet", new Dictionary<string, object?> { ["times"] = "three" }).AsTask());

        Assert.Equal(McpErrorCode.InvalidParams, unknown.ErrorCode);
        Assert.Contains("unknown tool 'gret' (did you mean 'greet'?)", unknown.Message);
        Assert.Contains("unknown tool 'hidden'", hidden.Message);
        Assert.Equal(McpErrorCode.InvalidParams, misspelt.ErrorCode);
        Assert.Contains("wrong arguments for tool 'greet'", misspelt.Message);
        Assert.Contains("times", wrongType.Message);
        Assert.Equal(0, await RunCountAsync(api));
    }

    [Fact]
    public async Task The_server_refuses_requests_without_a_valid_bearer_token()
    {
        using var anonymous = _app.Anonymous();
        using var forged = _app.WithToken("not-a-token");

        var initialize = new StringContent(
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""",
            System.Text.Encoding.UTF8, "application/json");
        var response = await anonymous.PostAsync("/mcp", initialize);
        var forgedResponse = await forged.PostAsync("/mcp", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedResponse.StatusCode);
    }
}

/// <summary>A run that outlives the execute wait is answered with its id, to be followed through the API.</summary>
public sealed class McpServerWaitTests
{
    private sealed class NoWait : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Api:ExecuteWaitSeconds"] = "0" };
    }

    [Fact]
    public async Task A_run_that_outlives_the_wait_answers_with_its_run_id()
    {
        using var app = new NoWait();
        var token = await app.LoginAsync();
        using var api = app.WithToken(token);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/workflows", McpServerTests.Greeting("greet", expose: true))).StatusCode);
        await using var client = await McpServerTests.ConnectAsync(app, token);

        var result = await client.CallToolAsync("greet");

        var answer = JsonNode.Parse(result.StructuredContent!.Value.GetRawText())!;
        var runId = (string)answer["run_id"]!;
        Assert.Equal($"/api/runs/{runId}", (string?)answer["location"]);
        Assert.Contains(runId, Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/runs/{runId}")).StatusCode);
    }
}
