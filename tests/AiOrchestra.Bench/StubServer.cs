using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AiOrchestra.Bench;

/// <summary>
/// A chat-completion API and a page API that answer at once, on Kestrel at 127.0.0.1 in this process: the three
/// http steps of the bench workflow call them, so the figure is the orchestrator's cost, not a remote service's.
/// </summary>
internal sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<StubServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var pages = 0L;
        app.MapPost("/v1/chat/completions", async (HttpRequest request) =>
        {
            var body = await JsonNode.ParseAsync(request.Body);
            var prompt = body?["messages"]?[0]?["content"]?.GetValue<string>() ?? "";
            if (body?["stream"]?.GetValue<bool>() == true)
            {
                // the openai step asks for the answer streamed: one content chunk, then the usage and [DONE]
                var content = new JsonObject { ["content"] = $"Summary of: {prompt}" }.ToJsonString();
                return Results.Text(
                    $$$"""
                    data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"stub","choices":[{"index":0,"delta":{{{content}}},"finish_reason":null}]}

                    data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"stub","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

                    data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"stub","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}

                    data: [DONE]


                    """,
                    "text/event-stream");
            }
            return Results.Text(
                new JsonObject
                {
                    ["id"] = "chatcmpl-bench",
                    ["choices"] = new JsonArray(new JsonObject { ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = $"Summary of: {prompt}" } }),
                    ["usage"] = new JsonObject { ["prompt_tokens"] = 12, ["completion_tokens"] = 8 },
                }.ToJsonString(),
                "application/json");
        });
        app.MapPost("/v1/pages", async (HttpRequest request) =>
        {
            await JsonNode.ParseAsync(request.Body);
            var id = Interlocked.Increment(ref pages);
            return Results.Text($$"""{"id":"page-{{id}}","url":"https://pages.example/{{id}}"}""", "application/json");
        });
        app.MapGet("/v1/respond", (string id) => Results.Text($$"""{"ok":true,"page":"{{id}}"}""", "application/json"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new StubServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
