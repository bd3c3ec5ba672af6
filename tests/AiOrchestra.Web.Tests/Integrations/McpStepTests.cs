using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>The mcp step against an MCP server started in the test (the official SDK's server, Streamable HTTP on Kestrel).</summary>
public sealed class McpStepTests
{
    internal const string Token = "mcp-TEST-SERVER-TOKEN-8e21";

    /// <summary>A server with two tools: <c>add</c> (structured result) and <c>fail</c> (an error result); it wants the bearer token.</summary>
    internal sealed class TestMcpServer : IAsyncDisposable
    {
        private WebApplication? _app;

        public string Url { get; private set; } = "";

        public List<string> Calls { get; } = [];

        public static async Task<TestMcpServer> StartAsync()
        {
            var server = new TestMcpServer();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            builder.Services.AddMcpServer()
                .WithHttpTransport(http => http.Stateless = true)
                .WithListToolsHandler((_, _) => ValueTask.FromResult(new ListToolsResult
                {
                    Tools =
                    [
                        new Tool { Name = "add", InputSchema = JsonSerializer.SerializeToElement(new { type = "object" }) },
                        new Tool { Name = "fail", InputSchema = JsonSerializer.SerializeToElement(new { type = "object" }) },
                    ],
                }))
                .WithCallToolHandler((context, _) =>
                {
                    var name = context.Params!.Name;
                    lock (server.Calls)
                    {
                        server.Calls.Add(name);
                    }
                    if (name == "fail")
                    {
                        return ValueTask.FromResult(new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = "the warehouse is closed" }] });
                    }
                    if (name != "add")
                    {
                        throw new McpProtocolException($"unknown tool '{name}'", McpErrorCode.InvalidParams);
                    }
                    var arguments = context.Params.Arguments!;
                    var sum = arguments["a"].GetInt32() + arguments["b"].GetInt32();
                    return ValueTask.FromResult(new CallToolResult
                    {
                        Content = [new TextContentBlock { Text = $"{sum}" }],
                        StructuredContent = JsonSerializer.SerializeToElement(new { sum }),
                    });
                });
            var app = builder.Build();
            app.Use(async (context, next) =>
            {
                if (context.Request.Headers.Authorization != "Bearer " + Token)
                {
                    context.Response.StatusCode = 401;
                    return;
                }
                await next();
            });
            app.MapMcp("/mcp");
            await app.StartAsync();
            server._app = app;
            server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/mcp";
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.StopAsync();
                await _app.DisposeAsync();
            }
        }
    }

    private static IntegrationHarness Harness(string url, string? token = Token) =>
        IntegrationHarness.Create("http://127.0.0.1:9", new Dictionary<string, string?>
        {
            ["Mcp:Servers:tools:Url"] = url,
            ["Mcp:Servers:tools:Token"] = token,
        });

    [Fact]
    public async Task A_tool_is_called_with_its_arguments_and_its_structured_result_is_the_output()
    {
        await using var server = await TestMcpServer.StartAsync();
        await using var harness = Harness(server.Url);

        var output = await harness.RunAsync("mcp", "call", new JsonObject
        {
            ["server"] = "tools",
            ["tool"] = "add",
            ["arguments"] = new JsonObject { ["a"] = 2, ["b"] = 40 },
        });

        Assert.Equal(42, (int)output!["sum"]!);
        Assert.Equal(["add"], server.Calls);
    }

    [Fact]
    public async Task A_tool_error_an_unknown_tool_and_an_unknown_server_are_step_errors_a_person_can_act_on()
    {
        await using var server = await TestMcpServer.StartAsync();
        await using var harness = Harness(server.Url);

        var failed = await harness.FailAsync("mcp", "call", new JsonObject { ["server"] = "tools", ["tool"] = "fail" });
        var unknownTool = await harness.FailAsync("mcp", "call", new JsonObject { ["server"] = "tools", ["tool"] = "ad" });
        var unknownServer = await harness.FailAsync("mcp", "call", new JsonObject { ["server"] = "tols", ["tool"] = "add" });

        Assert.Equal("tool 'fail' of MCP server 'tools' failed: the warehouse is closed", failed.Message);
        Assert.StartsWith("MCP server 'tools' refused the call of 'ad'", unknownTool.Message);
        Assert.Contains("unknown tool 'ad'", unknownTool.Message);
        Assert.Equal("parameter 'server': there is no MCP server 'tols' (did you mean 'tools'?); the configured servers are: tools", unknownServer.Message);
    }

    [Fact]
    public async Task A_refused_token_fails_the_step_without_showing_it()
    {
        await using var server = await TestMcpServer.StartAsync();
        await using var harness = Harness(server.Url, token: "wrong-TOKEN-value-1234");

        var error = await harness.FailAsync("mcp", "call", new JsonObject { ["server"] = "tools", ["tool"] = "add" });

        Assert.Contains("401", error.Message);
        Assert.Contains("Mcp:Servers:tools:Token", error.Message);
        Assert.DoesNotContain("wrong-TOKEN-value-1234", error.Message);
        Assert.Empty(server.Calls);
    }
}
