using AiOrchestra.Web.Api;
using AiOrchestra.Web.CommandLine;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Integrations;
using AiOrchestra.Web.Mcp;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;

// `validate FILE` and `run FILE` are the command line for scripts; anything else starts the server.
var command = WorkflowCommands.IsCommand(args);
var builder = WebApplication.CreateBuilder(command ? [] : args);

builder.AddStore();
builder.AddSteps();
builder.AddIntegrations();
builder.AddRuns();

if (command)
{
    return await builder.RunCommandAsync(args);
}

builder.AddApi();
builder.AddDashboard();
builder.AddMcp();

var app = builder.Build();

app.MapApi();
app.MapDashboard();
app.MapMcp();

await app.RunAsync();
return 0;

public partial class Program;
