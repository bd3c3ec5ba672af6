using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AiOrchestra.Web.Api.Auth;

/// <summary>
/// Issues the API's bearer tokens: HS256 JWTs naming the user and their security stamp (see <see cref="TokenStamps"/>),
/// valid for <c>Auth:TokenMinutes</c>.
/// </summary>
public sealed class TokenIssuer(SigningKey signingKey, AuthOptions options, TimeProvider time)
{
    public const string Issuer = "ai-orchestra";
    public const string Audience = "ai-orchestra-api";

    public (string Token, TimeSpan Lifetime) Issue(string userId, string userName, string? securityStamp)
    {
        var lifetime = TimeSpan.FromMinutes(options.TokenMinutes);
        var now = time.GetUtcNow().UtcDateTime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity([
                new Claim(JwtRegisteredClaimNames.Sub, userId),
                new Claim(JwtRegisteredClaimNames.Name, userName),
                new Claim(TokenStamps.Claim, TokenStamps.Hash(securityStamp)),
            ]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(signingKey.Key, SecurityAlgorithms.HmacSha256),
        });
        return (token, lifetime);
    }

    /// <summary>What the bearer handler accepts: our issuer and audience, HS256 only, signed with our key, not expired.</summary>
    public static TokenValidationParameters ValidationParameters(SigningKey signingKey) => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        // read when a token arrives, not when the options are built: on PostgreSQL the key is in the database
        IssuerSigningKeyResolver = (_, _, _, _) => [signingKey.Key],
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = JwtRegisteredClaimNames.Name,
    };
}
