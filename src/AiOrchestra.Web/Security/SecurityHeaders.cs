using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;

namespace AiOrchestra.Web.Security;

/// <summary>
/// The browser-side protections of every answer: a Content-Security-Policy that lets pages run only the app's own
/// scripts and styles (no inline script or style, nothing from elsewhere) and never be framed, no MIME sniffing, no
/// full URLs in the Referer sent to other sites; over HTTPS, HSTS and cookies marked Secure.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>Pages: the app's own files only.</summary>
    public const string PagePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

    /// <summary>
    /// The interactive API docs (Scalar) build their page with inline script and styles and evaluate code in its
    /// bundle; they still load nothing from elsewhere and cannot be framed. No page of the dashboard gets this.
    /// </summary>
    public const string DocsPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

    public static WebApplicationBuilder AddSecurityHeaders(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHsts(options => options.MaxAge = TimeSpan.FromDays(365));
        // Secure whenever the request came over HTTPS (plain http://localhost keeps working for a first start)
        services.Configure<AntiforgeryOptions>(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        services.ConfigureApplicationCookie(cookie => cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        return builder;
    }

    /// <summary>Call first after <c>Build()</c>, so error answers carry the headers too.</summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            // only on HTTPS requests, and never for localhost
            app.UseHsts();
        }
        app.Use((context, next) =>
        {
            // set as the answer starts: an exception handler clears the headers of the answer it replaces
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/api/docs") ? DocsPolicy : PagePolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }
}
