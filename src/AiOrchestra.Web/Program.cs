using AiOrchestra.Web.Api;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;

var builder = WebApplication.CreateBuilder(args);

builder.AddStore();
builder.AddSteps();
builder.AddRuns();
builder.AddApi();

var app = builder.Build();

app.MapApi();
app.MapGet("/", () => "AI Orchestra");

app.Run();

public partial class Program;
