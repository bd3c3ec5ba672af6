using AiOrchestra.Web.Data;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace AiOrchestra.Web.Api.Auth;

/// <summary>
/// Bearer-token authentication for <c>/api</c>: only JWTs, never cookies (no CSRF surface), and a rate limit on login.
/// </summary>
public static class ApiAuthentication
{
    /// <summary>The authorization policy every <c>/api</c> route but login uses.</summary>
    public const string Policy = "api";

    public const string LoginRateLimit = "login";

    public static WebApplicationBuilder AddApiAuthentication(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (options.TokenMinutes is < 1 or > 60 * 24 * 30)
        {
            throw new InvalidOperationException($"Auth:TokenMinutes is {options.TokenMinutes}; use a lifetime between 1 minute and 30 days.");
        }
        var signingKey = new SigningKey(options, AppData.Folder(builder.Configuration, builder.Environment));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(signingKey);
        builder.Services.AddSingleton<TokenIssuer>();

        builder.Services.AddAuthentication()
            .AddJwtBearer(JwtBearerDefaults.AuthenticationScheme, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = TokenIssuer.ValidationParameters(signingKey);
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser());

        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(LoginRateLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.LoginAttemptsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        return builder;
    }
}
