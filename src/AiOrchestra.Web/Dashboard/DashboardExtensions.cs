using AiOrchestra.Web.Account;
using AiOrchestra.Web.Api;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Pages;
using AiOrchestra.Web.Settings;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.WebUtilities;

namespace AiOrchestra.Web.Dashboard;

public static class DashboardExtensions
{
    /// <summary>The authorization policy of every page: a signed-in user by the Identity cookie, never a bearer token.</summary>
    public const string Policy = "pages";

    /// <summary>
    /// The web dashboard: Razor Pages behind the Identity cookie (the default scheme), sign-in with lockout and
    /// password rules, Data Protection keys under <c>data/keys/</c>, and the stored integration secrets.
    /// </summary>
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<IdentityOptions>(options =>
        {
            options.Password.RequiredLength = 10;
            options.Password.RequireNonAlphanumeric = false;
            options.Lockout.MaxFailedAccessAttempts = 5;
            options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
            options.Lockout.AllowedForNewUsers = true;
        });
        new IdentityBuilder(typeof(AppUser), services).AddSignInManager();

        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        // a changed password signs the user's other browsers out within a minute (the default checks every 30)
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.FromMinutes(1));
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.LoginPath = "/Account/Login";
            cookie.LogoutPath = "/Account/Logout";
            cookie.Cookie.Name = "AiOrchestra.Auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.SlidingExpiration = true;
            cookie.Events.OnValidatePrincipal = CookieCheck.Validate(cookie.Events.OnValidatePrincipal);
            // a signed-in user who may not open a page gets the 403 page (in the layout, by the status code pages)
            cookie.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
            cookie.Events.OnRedirectToLogin = context =>
            {
                RedirectToLogin(context);
                return Task.CompletedTask;
            };
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new Projects.ProjectRequirement(Api: false)));

        builder.AddDataProtectionKeys();
        services.AddAntiforgery(options => options.HeaderName = "RequestVerificationToken");

        services.AddRazorPages(options =>
        {
            options.Conventions.AuthorizeFolder("/", Policy);
            options.Conventions.AllowAnonymousToPage("/Account/Login");
            options.Conventions.AllowAnonymousToPage("/Account/Setup");
            options.Conventions.AllowAnonymousToPage("/Error");
        }).ConfigureApplicationPartManager(parts =>
        {
            // no controllers here: MVC would otherwise go through every type of the app's assembly at start looking for them
            foreach (var controllers in parts.FeatureProviders.OfType<ControllerFeatureProvider>().ToList())
            {
                parts.FeatureProviders.Remove(controllers);
            }
        });
        services.AddSingleton<SecretStore>();
        services.AddSingleton<IntegrationSettings>();
        services.AddSingleton<GmailAuthorization>();
        services.AddSingleton<Markdown>();
        services.AddSingleton<OutputDisplay>();
        services.AddSingleton<PartialHtml>();
        return builder;
    }

    /// <summary>The pages, static files from the top-level <c>wwwroot/</c>, and the live event stream of a run.</summary>
    public static WebApplication MapDashboard(this WebApplication app)
    {
        // Every failed page request ends on a page in the layout with a way back; /api keeps its problem details
        // (its own handlers, registered first, answer before these). In Development the framework's exception page
        // (with the stack trace) stays. Not in a UseWhen branch: a branch has no routing of its own to re-execute with.
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error");
        }
        app.UseStatusCodePagesWithReExecute("/Error/{0}");
        app.Use((context, next) =>
        {
            if (ApiExtensions.IsApi(context) && context.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }
            return next(context);
        });
        // inside the exception handler: a full disk or a locked database is a 503 with Retry-After, not a 500
        app.UseStoreUnavailable();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapRunStream();
        return app;
    }

    /// <summary>
    /// The API answers 401 itself. A page is redirected to the login form; so is an htmx request whose login has
    /// expired, as a whole page (HX-Redirect) coming back to the page the user was on: a plain redirect would be
    /// followed by fetch and the login form swapped into a corner of the page.
    /// </summary>
    private static void RedirectToLogin(RedirectContext<CookieAuthenticationOptions> context)
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments("/api"))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        context.Response.VaryOnHtmx();
        if (!request.IsHtmx())
        {
            context.Response.Redirect(context.RedirectUri);
            return;
        }
        var returnUrl = Uri.TryCreate(request.Headers["HX-Current-URL"], UriKind.Absolute, out var current)
            && current.Authority == request.Host.Value
                ? current.PathAndQuery
                : "/";
        context.Response.Headers["HX-Redirect"] = QueryHelpers.AddQueryString(context.Options.LoginPath, context.Options.ReturnUrlParameter, returnUrl);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
