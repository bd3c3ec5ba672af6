using AiOrchestra.Web.Api;
using AiOrchestra.Web.CommandLine;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.History;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Integrations;
using AiOrchestra.Web.Metrics;
using AiOrchestra.Web.Original;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;

// `validate FILE`, `run FILE` and `backup FILE` are the command line for scripts; anything else starts the server.
var command = WorkflowCommands.IsCommand(args);
var builder = WebApplication.CreateBuilder(command ? [] : args);

builder.AddOriginalSettings();
builder.AddStore();
builder.AddSteps();
builder.AddIntegrations();
builder.AddMetrics();
builder.AddRuns();
builder.AddHistory();

if (command)
{
    return await builder.RunCommandAsync(args);
}

builder.AddApi();
builder.AddDashboard();

var app = builder.Build();

app.MapMetrics();

app.MapApi();
app.MapDashboard();
app.MapHistory();

await app.RunAsync();
return 0;

public partial class Program;
