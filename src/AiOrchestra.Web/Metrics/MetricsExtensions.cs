using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AiOrchestra.Web.Metrics;

public static class MetricsExtensions
{
    private const string Path = "/metrics";
    private const string OtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// The run, step and operation instruments and the run traces, always recorded where someone listens (cheap
    /// otherwise); exported through OpenTelemetry: metrics to Prometheus when <c>Metrics:Enabled</c>, metrics and
    /// traces over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    public static WebApplicationBuilder AddMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RunMetrics>();
        builder.Services.TryAddSingleton<OperationMetrics>();
        var settings = Settings(builder.Configuration);
        var prometheus = settings.Enabled;
        if (prometheus)
        {
            MetricsAccess.From(settings); // a setting to fix stops the start here, not at the first scrape
        }
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpoint]);
        if (!prometheus && !otlp)
        {
            return builder;
        }
        AddOpenTelemetry(builder.Services, prometheus, otlp);
        return builder;
    }

    // a method of its own: the JIT loads OpenTelemetry's assemblies only when metrics or traces are exported
    private static void AddOpenTelemetry(IServiceCollection services, bool prometheus, bool otlp)
    {
        var telemetry = services.AddOpenTelemetry().ConfigureResource(r => r.AddService("aiorchestra"));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(RunMetrics.MeterName);
            if (prometheus)
            {
                metrics.AddPrometheusExporter();
            }
            if (otlp)
            {
                metrics.AddOtlpExporter();
            }
        });
        if (otlp)
        {
            // the request spans are what runs started through the API or a webhook link to
            telemetry.WithTracing(tracing => tracing.AddSource(RunTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments(Path))
                .AddOtlpExporter());
        }
    }

    /// <summary><c>GET /metrics</c> in the Prometheus text format behind its token and/or allow list; absent (404) when metrics are off.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        var settings = Settings(app.Configuration);
        if (!settings.Enabled)
        {
            return app;
        }
        MapScrapingEndpoint(app, MetricsAccess.From(settings));
        return app;
    }

    // as AddOpenTelemetry: the Prometheus exporter's assembly loads only when metrics are on
    private static void MapScrapingEndpoint(WebApplication app, MetricsAccess access)
    {
        app.UseWhen(context => context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase), branch => branch.Use(async (context, next) =>
        {
            if (access.Check(context) is { } refused)
            {
                context.Response.StatusCode = refused.Status;
                if (refused.Status == StatusCodes.Status401Unauthorized)
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                }
                await context.Response.WriteAsync(refused.Message);
                return;
            }
            await next(context);
        }));
        app.MapPrometheusScrapingEndpoint(Path);
    }

    private static MetricsOptions Settings(IConfiguration configuration) =>
        configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new();
}
