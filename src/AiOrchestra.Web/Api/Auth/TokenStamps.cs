using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Api.Auth;

/// <summary>
/// Ties a bearer token to its user's security stamp, which Identity changes with the password and which a lockout
/// from the password page changes too. The bearer handler reads a user's stamp from the store at most once a minute,
/// as the dashboard's cookie check does, so such a change ends the user's tokens within a minute.
/// </summary>
public sealed class TokenStamps(IServiceScopeFactory scopes, TimeProvider time)
{
    /// <summary>The claim carrying the stamp, hashed: the token's holder can read its payload.</summary>
    public const string Claim = "stamp";

    private static readonly TimeSpan Fresh = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (string? Hashed, DateTimeOffset ReadAt)> _current = new(StringComparer.Ordinal);

    public static string Hash(string? securityStamp) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(securityStamp ?? "")), 0, 16);

    /// <summary>
    /// False when the user is gone or their stamp has changed since the token was issued. A token issued after the
    /// stamp was last read may carry a newer one (a login right after a password change): the stamp is read again.
    /// </summary>
    public async Task<bool> IsCurrentAsync(string userId, string? tokenStamp, DateTimeOffset issuedAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!_current.TryGetValue(userId, out var known) || now - known.ReadAt >= Fresh
            // the token's issue time is in whole seconds
            || (known.Hashed != tokenStamp && issuedAt.AddSeconds(1) >= known.ReadAt))
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.SecurityStamp }).FirstOrDefaultAsync(cancellationToken);
            known = (user is null ? null : Hash(user.SecurityStamp), now);
            _current[userId] = known;
        }
        return known.Hashed is not null && known.Hashed == tokenStamp;
    }
}
