using AiOrchestra.Web.Account;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AiOrchestra.Web.Api.Auth;

/// <summary>
/// Bearer-token authentication for <c>/api</c>: only JWTs, never cookies (no CSRF surface), and a limit on password attempts per address (<see cref="LoginAttempts"/>).
/// </summary>
public static class ApiAuthentication
{
    /// <summary>The authorization policy every <c>/api</c> route but login uses.</summary>
    public const string Policy = "api";

    /// <summary>The API's scheme: a personal access token (<c>aio_…</c>) or else a login JWT.</summary>
    public const string Scheme = "ApiBearer";

    public static WebApplicationBuilder AddApiAuthentication(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (options.TokenMinutes is < 1 or > 60 * 24 * 30)
        {
            throw new InvalidOperationException($"Auth:TokenMinutes is {options.TokenMinutes}; use a lifetime between 1 minute and 30 days.");
        }
        var shared = DatabaseProviders.ReadOrDefault(builder.Configuration) == DatabaseProvider.Postgres
            ? builder.Configuration.GetConnectionString("Default")
            : null;
        var signingKey = new SigningKey(options, AppData.Folder(builder.Configuration, builder.Environment), shared);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(signingKey);
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddSingleton<TokenStamps>();

        builder.Services.AddAuthentication()
            .AddPolicyScheme(Scheme, "Login token or personal access token", scheme => scheme.ForwardDefaultSelector = context =>
                PersonalTokenHandler.IsPersonalToken(context.Request) ? PersonalTokenHandler.SchemeName : JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, PersonalTokenHandler>(PersonalTokenHandler.SchemeName, null)
            .AddJwtBearer(JwtBearerDefaults.AuthenticationScheme, jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = TokenIssuer.ValidationParameters(signingKey);
                jwt.Events = new JwtBearerEvents { OnTokenValidated = CheckStampAsync, OnChallenge = ChallengeAsync };
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy
                .AddAuthenticationSchemes(Scheme)
                .RequireAuthenticatedUser()
                .AddRequirements(new TokenScopes.Requirement(), new Projects.ProjectRequirement(Api: true)));

        builder.Services.AddSingleton<LoginAttempts>();
        return builder;
    }

    /// <summary>A well-signed token of a user who has since changed their password, or is gone, is refused.</summary>
    private static async Task CheckStampAsync(TokenValidatedContext context)
    {
        var userId = context.Principal?.FindFirst(JwtRegisteredClaimNames.Sub)?.Value;
        var stamp = context.Principal?.FindFirst(TokenStamps.Claim)?.Value;
        var issuedAt = (context.SecurityToken as JsonWebToken)?.IssuedAt ?? DateTime.MinValue;
        var stamps = context.HttpContext.RequestServices.GetRequiredService<TokenStamps>();
        try
        {
            if (userId is null || !await stamps.IsCurrentAsync(userId, stamp, new DateTimeOffset(issuedAt, TimeSpan.Zero), context.HttpContext.RequestAborted))
            {
                context.Fail("The token's user has changed their password, is disabled or no longer exists.");
            }
        }
        catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // the client has gone: nothing to answer, and nothing to log as an error
            context.Fail("The request was aborted.");
        }
    }

    /// <summary>The 401 of an /api route carries a problem body saying what to send, like every other API error.</summary>
    private static Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var invalid = context.AuthenticateFailure is not null;
        return WriteProblemAsync(
            context.HttpContext, StatusCodes.Status401Unauthorized, "Unauthorized",
            invalid
                ? "The bearer token is expired, not valid here, or its user's password has changed; get a new one from POST /api/auth/login."
                : "Send a bearer token: get one from POST /api/auth/login, then send the header 'Authorization: Bearer <access_token>'.",
            invalid ? "Bearer error=\"invalid_token\"" : "Bearer");
    }

    internal static async Task WriteProblemAsync(HttpContext http, int status, string title, string detail, string? wwwAuthenticate)
    {
        if (wwwAuthenticate is not null)
        {
            http.Response.Headers.WWWAuthenticate = wwwAuthenticate;
        }
        http.Response.StatusCode = status;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
