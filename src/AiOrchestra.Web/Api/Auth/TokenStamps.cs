using System.Security.Cryptography;
using System.Text;
using AiOrchestra.Web.Users;

namespace AiOrchestra.Web.Api.Auth;

/// <summary>
/// Ties a bearer token to its user's security stamp, which Identity changes with the password, a logout, a reset by
/// an administrator and a lockout from the password page. A token whose stamp is no longer the user's, or whose user
/// is disabled or gone, is refused on its next request (see <see cref="AccountStates"/>).
/// </summary>
public sealed class TokenStamps(AccountStates states)
{
    /// <summary>The claim carrying the stamp, hashed: the token's holder can read its payload.</summary>
    public const string Claim = "stamp";

    public static string Hash(string? securityStamp) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(securityStamp ?? "")), 0, 16);

    /// <summary>False when the user is gone or disabled, or their stamp has changed since the token was issued.</summary>
    public async Task<bool> IsCurrentAsync(string userId, string? tokenStamp, DateTimeOffset issuedAt, CancellationToken cancellationToken)
    {
        var state = await states.GetAsync(userId, issuedAt, cancellationToken);
        return state is { Disabled: false } && Hash(state.SecurityStamp) == tokenStamp;
    }
}
