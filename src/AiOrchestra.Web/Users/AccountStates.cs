using System.Collections.Concurrent;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Users;

/// <summary>What every signed-in request needs to know about its account, read from the store.</summary>
public sealed record AccountState(string SecurityStamp, bool Disabled, bool IsAdministrator, bool MustChangePassword);

/// <summary>
/// The current state of each account, checked on every cookie and bearer request: a disabled, deleted or demoted
/// account, or one whose security stamp changed (password, logout, reset), is refused on its next request. The user
/// manager forgets an account's state whenever it saves the account (<see cref="AppUserManager"/>), so a change made
/// in this process applies at once; another process sharing the database reads it again within <see cref="Fresh"/>.
/// </summary>
public sealed class AccountStates(IDbContextFactory<AppDbContext> contexts, TimeProvider time)
{
    /// <summary>How long a state read from the store is trusted before it is read again.</summary>
    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, (AccountState? State, DateTimeOffset ReadAt)> _known = new(StringComparer.Ordinal);

    /// <summary>
    /// The account's state, or null when it no longer exists. <paramref name="credentialIssuedAt"/>: a cookie or token
    /// issued after the state was read may carry a newer stamp than the one remembered, so the state is read again.
    /// </summary>
    public async Task<AccountState?> GetAsync(string userId, DateTimeOffset? credentialIssuedAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_known.TryGetValue(userId, out var known) && now - known.ReadAt < Fresh
            // issue times are in whole seconds
            && (credentialIssuedAt is not { } issued || issued.AddSeconds(1) < known.ReadAt))
        {
            return known.State;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var state = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new AccountState(
                u.SecurityStamp ?? "",
                u.Disabled,
                db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == Roles.AdministratorId),
                u.MustChangePassword))
            .FirstOrDefaultAsync(cancellationToken);
        _known[userId] = (state, now);
        return state;
    }

    /// <summary>The account was changed: its next request reads it again.</summary>
    public void Forget(string userId) => _known.TryRemove(userId, out _);
}
