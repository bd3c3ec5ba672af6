using AiOrchestra.Web.Alerts;
using AiOrchestra.Web.Api;
using AiOrchestra.Web.CommandLine;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.History;
using AiOrchestra.Web.Connectors;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Hosting;
using AiOrchestra.Web.Integrations;
using AiOrchestra.Web.Ledger;
using AiOrchestra.Web.Logging;
using AiOrchestra.Web.Mcp;
using AiOrchestra.Web.Metrics;
using AiOrchestra.Web.Original;
using AiOrchestra.Web.Outbound;
using AiOrchestra.Web.Plugins;
using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Security;
using AiOrchestra.Web.Tokens;
using AiOrchestra.Web.Triggers;
using AiOrchestra.Web.Users;
using AiOrchestra.Web.Workflows;

if (Usage.IsHelp(args))
{
    Console.Write(Usage.Text);
    return 0;
}

// `validate FILE`, `run FILE`, `backup FILE` and `import DIR` are the command line for scripts; anything else starts the server.
var command = WorkflowCommands.IsCommand(args);
var builder = WebApplication.CreateBuilder(command ? [] : args);

builder.AddOriginalSettings();
builder.AddStore();
builder.AddOutbound();
builder.AddSteps();
builder.AddIntegrations();
builder.AddConnectors();
builder.AddPlugins();
builder.AddMetrics();
builder.AddRuns();
builder.AddLedger();
builder.AddHistory();
builder.AddAlerts();

if (command)
{
    return await builder.RunCommandAsync(args);
}

// a setting to fix, found while building or while starting, is one line on the console and exit code 1
return await ServerConsole.RunServerAsync(() =>
{
    builder.AddServerConsole();
    builder.AddApi();
    builder.AddTokens();
    builder.AddDashboard();
    builder.AddUsers();
    builder.AddProjects();
    builder.AddTriggers();
    builder.AddMcp();
    builder.AddSecurityHeaders();
    builder.AddRequestLogging();

    var app = builder.Build();

    app.UseRequestLogging();
    app.UseSecurityHeaders();
    app.MapMetrics();
    app.MapApi();
    app.MapDashboard();
    app.MapTriggers();
    app.MapMcp();
    app.MapHistory();
    return app;
});

public partial class Program;
