using System.Security.Claims;
using System.Text.Encodings.Web;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AiOrchestra.Web.Tokens;

/// <summary>
/// Authenticates <c>Authorization: Bearer aio_…</c>: the token's hash must name a token that is neither revoked nor
/// expired, of an enabled account. Looked up on every request, so a revocation or a disabled account applies at once.
/// The principal carries the same claims as a login token (sub, name) plus the token's scopes.
/// </summary>
public sealed class PersonalTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IDbContextFactory<AppDbContext> contexts, AccountStates states, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "PersonalAccessToken";
    public const string Prefix = "aio_";

    /// <summary>The claim naming the token's id: present only on requests made with a personal access token.</summary>
    public const string TokenIdClaim = "token_id";

    /// <summary>How stale the "last used" time may be: written at most once a minute per token, not on every request.</summary>
    private static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    public static bool IsPersonalToken(HttpRequest request) =>
        request.Headers.Authorization.ToString() is var header
        && header.StartsWith("Bearer " + Prefix, StringComparison.OrdinalIgnoreCase);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!IsPersonalToken(Request))
        {
            return AuthenticateResult.NoResult();
        }
        var token = Request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        var hash = PersonalTokens.Hash(token);
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(Context.RequestAborted);
        var found = await db.PersonalAccessTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash)
            .Select(t => new { t.Id, t.UserId, t.Scopes, t.ProjectId, t.ExpiresAt, t.RevokedAt, t.LastUsedAt, UserName = db.Users.Where(u => u.Id == t.UserId).Select(u => u.UserName).FirstOrDefault() })
            .FirstOrDefaultAsync(Context.RequestAborted);
        if (found is null || found.RevokedAt is not null || found.ExpiresAt <= now)
        {
            return AuthenticateResult.Fail("The personal access token is unknown, revoked or expired.");
        }
        if (await states.GetAsync(found.UserId, null, Context.RequestAborted) is not { Disabled: false })
        {
            return AuthenticateResult.Fail("The personal access token's account is disabled or gone.");
        }
        if (found.LastUsedAt is not { } last || now - last >= LastUseResolution)
        {
            await db.PersonalAccessTokens.Where(t => t.Id == found.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        }
        var claims = new List<Claim>
        {
            new(JwtRegisteredClaimNames.Sub, found.UserId),
            new(JwtRegisteredClaimNames.Name, found.UserName ?? ""),
            new(TokenIdClaim, found.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (found.ProjectId is not null)
        {
            claims.Add(new Claim(Projects.ProjectRequirement.TokenProjectClaim, found.ProjectId));
        }
        claims.AddRange(found.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => new Claim(TokenScopes.Claim, s)));
        var identity = new ClaimsIdentity(claims, SchemeName, JwtRegisteredClaimNames.Name, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>The 401 is the API's problem body, as for a bad login token.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Api.Auth.ApiAuthentication.WriteProblemAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            "The personal access token is unknown, revoked or expired, or its account is disabled. Make a new one on your Tokens page.",
            "Bearer error=\"invalid_token\"");
}
