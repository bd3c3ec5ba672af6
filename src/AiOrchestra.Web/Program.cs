using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;

var builder = WebApplication.CreateBuilder(args);

builder.AddStore();
builder.AddSteps();
builder.AddRuns();

var app = builder.Build();

app.MapGet("/", () => "AI Orchestra");
app.MapHealthChecks("/health");

app.Run();

public partial class Program;
