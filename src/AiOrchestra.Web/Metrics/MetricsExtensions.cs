using System.Security.Cryptography;
using System.Text;
using OpenTelemetry.Metrics;

namespace AiOrchestra.Web.Metrics;

public static class MetricsExtensions
{
    private const string Path = "/metrics";

    /// <summary>The run metrics, always recorded (cheap); exported through OpenTelemetry only when <c>Metrics:Enabled</c>.</summary>
    public static WebApplicationBuilder AddMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RunMetrics>();
        var settings = builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new();
        if (settings.Enabled)
        {
            if (string.IsNullOrWhiteSpace(settings.Token) || settings.Token.Length < 16)
            {
                throw new InvalidOperationException(
                    "Metrics:Enabled is true but Metrics:Token is missing or shorter than 16 characters: set Metrics__Token to a long random value (scrapers send it as 'Authorization: Bearer <token>'), or turn metrics off.");
            }
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(RunMetrics.MeterName).AddPrometheusExporter());
        }
        return builder;
    }

    /// <summary><c>GET /metrics</c> in the Prometheus text format, 401 without the token; absent (404) when metrics are off.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        var settings = app.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new();
        if (!settings.Enabled)
        {
            return app;
        }
        var expected = Encoding.UTF8.GetBytes("Bearer " + settings.Token);
        app.UseWhen(context => context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase), branch => branch.Use(async (context, next) =>
        {
            var given = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
            if (!CryptographicOperations.FixedTimeEquals(given, expected))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsync("Send the metrics token (Metrics__Token) as 'Authorization: Bearer <token>'.");
                return;
            }
            await next(context);
        }));
        app.MapPrometheusScrapingEndpoint(Path);
        return app;
    }
}
