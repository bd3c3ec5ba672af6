using AiOrchestra.Web.Tokens;
using AiOrchestra.Web.Api.Auth;
using ModelContextProtocol;

namespace AiOrchestra.Web.Mcp;

/// <summary>
/// The MCP server at <c>/mcp</c> (Streamable HTTP, stateless: any process can answer any request), behind the API's
/// bearer token: an agent sees and runs only its token user's exposed workflows.
/// </summary>
public static class McpExtensions
{
    public const string Path = "/mcp";

    public static WebApplicationBuilder AddMcp(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<WorkflowTools>();
        builder.Services.AddMcpServer(options =>
            {
                options.ServerInfo = new() { Name = "AI Orchestra", Version = typeof(McpExtensions).Assembly.GetName().Version?.ToString() ?? "1.0" };
                options.ServerInstructions = "Each tool runs one of your AI Orchestra workflows and answers with its outputs (or the run id when it takes longer).";
            })
            .WithHttpTransport(http => http.Stateless = true)
            .WithListToolsHandler((context, cancellationToken) =>
                Tools(context.Services).ListAsync(context.User!, cancellationToken))
            .WithCallToolHandler((context, cancellationToken) =>
                Tools(context.Services).CallAsync(context.User!, context.Params?.Name ?? "", context.Params?.Arguments, cancellationToken));
        return builder;
    }

    public static WebApplication MapMcp(this WebApplication app)
    {
        // its tools run workflows
        app.MapMcp(Path).RequireAuthorization(ApiAuthentication.Policy).RequireScope(TokenScopes.Run);
        return app;
    }

    private static WorkflowTools Tools(IServiceProvider? services) =>
        (services ?? throw new McpException("the MCP request has no services")).GetRequiredService<WorkflowTools>();
}
