using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AiOrchestra.Engine.Tests.Steps;

/// <summary>A real Kestrel server on 127.0.0.1 with a free port, answering the http step's tests.</summary>
public sealed class LocalHttpServer : IAsyncLifetime
{
    /// <summary>The instant the 429 endpoint's Retry-After date points 30 s after.</summary>
    public static readonly DateTimeOffset ClockForRetryDate = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();

        app.MapGet("/json", () => Results.Json(new { hello = "world", items = new[] { 1, 2 } }));
        app.MapGet("/text", () => Results.Text("plain words", "text/plain"));
        // bodies in other encodings: named by the header's charset, or by a byte order mark the header does not name
        app.MapGet("/latin1", () => Results.Bytes(System.Text.Encoding.Latin1.GetBytes("café"), "text/plain; charset=iso-8859-1"));
        app.MapGet("/utf8-bom", () => Results.Bytes([0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes("café")], "text/plain"));
        app.MapGet("/utf16-bom", () => Results.Bytes([0xFF, 0xFE, .. System.Text.Encoding.Unicode.GetBytes("café")], "text/plain"));
        app.MapPost("/echo", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            return Results.Json(new
            {
                method = request.Method,
                content_type = request.ContentType,
                body = await reader.ReadToEndAsync(),
                x_test = request.Headers["X-Test"].ToString(),
            });
        });
        app.MapMethods("/echo", ["PUT", "DELETE"], (HttpRequest request) => Results.Json(new { method = request.Method }));
        app.MapGet("/status/{code:int}", (int code, HttpResponse response) =>
        {
            if (code == 503)
            {
                response.Headers.RetryAfter = "7";
            }
            return Results.Text($"status {code}: the service says no", "text/plain", statusCode: code);
        });
        app.MapGet("/limited", (HttpResponse response) =>
        {
            response.Headers.RetryAfter = ClockForRetryDate.AddSeconds(30).ToString("R");
            return Results.Text("slow down", statusCode: (int)HttpStatusCode.TooManyRequests);
        });
        app.MapGet("/big", () => Results.Text(new string('x', 5000)));
        // redirects to ?to= with ?status= (302 by default), for any method
        app.Map("/redirect", (HttpResponse response, string to, int? status) =>
        {
            response.StatusCode = status ?? 302;
            response.Headers.Location = to;
        });
        app.MapGet("/loop", (HttpResponse response) =>
        {
            response.StatusCode = 302;
            response.Headers.Location = "/loop";
        });
        app.MapGet("/set-cookie", (HttpResponse response) =>
        {
            response.Headers.SetCookie = "session=kept-by-a-shared-handler; Path=/";
            return Results.Text("cookie set");
        });
        // the headers received, names in lower case
        app.MapGet("/headers", (HttpRequest request) =>
            Results.Json(request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));

        await app.StartAsync();
        _app = app;
        BaseAddress = new Uri(app.Urls.Single());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    /// <summary>A client as the host builds it, with this server's address (127.0.0.1) allow-listed.</summary>
    public static HttpClient AllowListedClient(params string[] allow) =>
        new(new AiOrchestra.Engine.Outbound.OutboundPolicy(allow.Length == 0 ? ["127.0.0.1"] : allow).CreateHandler());
}
