using AiOrchestra.Web.Audit;
using Microsoft.IdentityModel.JsonWebTokens;
using System.Security.Claims;
using AiOrchestra.Web.Account;
using AiOrchestra.Web.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiOrchestra.Web.Api.Auth;

/// <summary><c>/api/auth</c>: exchange a user name and password for a bearer token, and check a token.</summary>
public static class AuthApi
{
    /// <summary>The original project's clients send <c>user_id</c>; newer ones send <c>username</c>.</summary>
    public sealed record LoginRequest(string? Username, string? UserId, string? Password);

    public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

    public sealed record VerifyResponse(bool Valid, string Username, DateTimeOffset ExpiresAt);

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Auth");
        group.MapPost("/login", LoginAsync)
            .AllowAnonymous()
            .WithSummary("Exchange a user name and password for a bearer token");
        group.MapPost("/verify", Verify)
            .RequireAuthorization(ApiAuthentication.Policy)
            .RequireScope(TokenScopes.Read)
            .WithSummary("Check the bearer token sent with the request");
        return app;
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest request, PasswordCheck passwords, TokenIssuer issuer, LoginAttempts attempts, AuditLog audit, HttpContext http)
    {
        if (attempts.Take(http) is { } wait)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many login attempts", detail: attempts.Refusal(wait));
        }
        var userName = request.Username ?? request.UserId;
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(request.Password))
        {
            var errors = new Dictionary<string, string[]>();
            if (string.IsNullOrWhiteSpace(userName))
            {
                errors["username"] = ["Give the user name as 'username' (or 'user_id')."];
            }
            if (string.IsNullOrEmpty(request.Password))
            {
                errors["password"] = ["Give the password."];
            }
            return TypedResults.ValidationProblem(errors);
        }

        // unknown, locked and wrong-password logins get the same answer after the same work
        var user = await passwords.CheckAsync(userName, request.Password);
        await audit.WriteAsync(user is { Disabled: false, MustChangePassword: false } ? "sign-in.succeeded" : "sign-in.failed", userName.Trim(),
            user is null ? "api" : user.Disabled ? "api, account disabled" : user.MustChangePassword ? "api, password change required" : "api",
            (user?.Id, userName.Trim()), http.RequestAborted);
        if (user is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Login failed", detail: passwords.FailureMessage);
        }

        if (user.Disabled)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Account disabled", detail: PasswordCheck.DisabledMessage);
        }
        if (user.MustChangePassword)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Password change required",
                detail: "An administrator chose this account's password: log in on the dashboard and choose your own, then log in here again.");
        }

        var (token, lifetime) = issuer.Issue(user.Id, user.UserName ?? userName, user.SecurityStamp);
        return TypedResults.Ok(new TokenResponse(token, "bearer", (int)lifetime.TotalSeconds));
    }

    private static Ok<VerifyResponse> Verify(ClaimsPrincipal user)
    {
        var expires = long.Parse(user.FindFirstValue(JwtRegisteredClaimNames.Exp) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Ok(new VerifyResponse(true, user.Identity?.Name ?? "", DateTimeOffset.FromUnixTimeSeconds(expires)));
    }
}
