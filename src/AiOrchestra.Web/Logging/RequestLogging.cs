using Microsoft.AspNetCore.HttpLogging;

namespace AiOrchestra.Web.Logging;

/// <summary>
/// Request logs (<c>RequestLogs:Enabled</c>): method, path, status and duration in one line per request. Never the
/// query string or a body, never a credential header even when configured, and a webhook's path (its token) is
/// replaced by <c>/hooks/***</c>.
/// </summary>
public static class RequestLogging
{
    /// <summary>Headers that carry credentials or signatures: refused even if a setting lists them.</summary>
    internal static readonly HashSet<string> Secret = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Hub-Signature", "X-Hub-Signature-256",
        "X-Signature-256", "RequestVerificationToken", "X-XSRF-TOKEN",
    };

    public static WebApplicationBuilder AddRequestLogging(this WebApplicationBuilder builder)
    {
        var settings = Settings(builder.Configuration);
        if (!settings.Enabled)
        {
            return builder;
        }
        builder.Services.AddHttpLogging(options =>
        {
            options.LoggingFields = HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath | HttpLoggingFields.RequestProtocol
                | HttpLoggingFields.RequestHeaders | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.ResponseHeaders
                | HttpLoggingFields.Duration;
            options.CombineLogs = true;
            foreach (var header in settings.RequestHeaders.Where(h => !Secret.Contains(h)))
            {
                options.RequestHeaders.Add(header);
            }
            foreach (var header in settings.ResponseHeaders.Where(h => !Secret.Contains(h)))
            {
                options.ResponseHeaders.Add(header);
            }
            options.RequestHeaders.ExceptWith(Secret);
            options.ResponseHeaders.ExceptWith(Secret);
        });
        builder.Services.AddHttpLoggingInterceptor<SecretPaths>();
        // the framework writes these at Information; the rest of Microsoft.AspNetCore stays at its configured level
        builder.Logging.AddFilter("Microsoft.AspNetCore.HttpLogging", LogLevel.Information);
        return builder;
    }

    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        if (Settings(app.Configuration).Enabled)
        {
            app.UseHttpLogging();
        }
        return app;
    }

    private static RequestLogOptions Settings(IConfiguration configuration) =>
        configuration.GetSection(RequestLogOptions.Section).Get<RequestLogOptions>() ?? new();

    /// <summary>A webhook's address is its secret: the path is logged without it.</summary>
    private sealed class SecretPaths : IHttpLoggingInterceptor
    {
        public ValueTask OnRequestAsync(HttpLoggingInterceptorContext logContext)
        {
            if (logContext.HttpContext.Request.Path.StartsWithSegments("/hooks"))
            {
                logContext.TryDisable(HttpLoggingFields.RequestPath);
                logContext.AddParameter(nameof(HttpRequest.Path), "/hooks/***");
            }
            return ValueTask.CompletedTask;
        }

        public ValueTask OnResponseAsync(HttpLoggingInterceptorContext logContext) => ValueTask.CompletedTask;
    }
}
