var builder = WebApplication.CreateBuilder(args);

var app = builder.Build();

app.MapGet("/", () => "AI Orchestra");

app.Run();

public partial class Program;
