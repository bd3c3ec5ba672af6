using AiOrchestra.Web.Api;
using AiOrchestra.Web.CommandLine;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Hosting;
using AiOrchestra.Web.Integrations;
using AiOrchestra.Web.Original;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;

if (Usage.IsHelp(args))
{
    Console.Write(Usage.Text);
    return 0;
}

// `validate FILE` and `run FILE` are the command line for scripts; anything else starts the server.
var command = WorkflowCommands.IsCommand(args);
var builder = WebApplication.CreateBuilder(command ? [] : args);

builder.AddOriginalSettings();
builder.AddStore();
builder.AddSteps();
builder.AddIntegrations();
builder.AddRuns();

if (command)
{
    return await builder.RunCommandAsync(args);
}

builder.AddServerConsole();
builder.AddApi();
builder.AddDashboard();

var app = builder.Build();

app.MapApi();
app.MapDashboard();

return await app.RunServerAsync();

public partial class Program;
