using System.Globalization;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;

namespace AiOrchestra.Web.Account;

/// <summary>
/// Checks a user name and password for the login page and the API alike. An unknown user, a locked account and a
/// wrong password fail the same way after the same work (one password hash check), so neither the answer nor its
/// timing tells which user names exist. A wrong password counts towards the lockout; a right one resets the count.
/// </summary>
public sealed class PasswordCheck(UserManager<AppUser> users, AppDbContext db)
{
    private static readonly AppUser NobodyUser = new() { UserName = "nobody" };
    private static string? _nobodyHash;

    /// <summary>The one message for every failure, with the lockout rule so a person knows what to expect.</summary>
    public string FailureMessage => "Wrong user name or password. " + LockoutRule;

    /// <summary>Said only after the right password: the account exists, and only an administrator can help.</summary>
    public const string DisabledMessage = "This account is disabled. Ask an administrator to enable it.";

    /// <summary>How many failures lock an account, and for how long.</summary>
    public string LockoutRule
    {
        get
        {
            var lockout = users.Options.Lockout;
            var minutes = Math.Max(1, (int)Math.Round(lockout.DefaultLockoutTimeSpan.TotalMinutes));
            return string.Create(CultureInfo.InvariantCulture,
                $"After {lockout.MaxFailedAccessAttempts} failed attempts an account is locked for {minutes} minute{(minutes == 1 ? "" : "s")}.");
        }
    }

    /// <summary>The user when the password is right and the account is not locked; otherwise null.</summary>
    public async Task<AppUser?> CheckAsync(string userName, string password)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            VerifyAgainstNobody(password);
            return null;
        }
        if (await users.IsLockedOutAsync(user))
        {
            await users.CheckPasswordAsync(user, password);
            return null;
        }
        if (!await users.CheckPasswordAsync(user, password))
        {
            await CountFailureAsync(user);
            return null;
        }
        await users.ResetAccessFailedCountAsync(user);
        return user;
    }

    /// <summary>
    /// Counts a failed attempt. Attempts made at once save the same row: Identity's concurrency stamp lets one save
    /// win and refuses the others, so a refused one reloads the user and counts again, and guesses sent in parallel
    /// lock the account as surely as guesses sent one by one.
    /// </summary>
    private Task CountFailureAsync(AppUser user) => RetryOnConcurrencyAsync(user, () => users.AccessFailedAsync(user));

    /// <summary>
    /// Gives the account a new security stamp, which ends every session and token issued before. Retried on a
    /// concurrency failure like the failure count: a lockout reached by guesses sent at once must still end the
    /// account's other sessions, not lose the new stamp to a parallel save.
    /// </summary>
    public Task<IdentityResult> NewStampAsync(AppUser user) => RetryOnConcurrencyAsync(user, () => users.UpdateSecurityStampAsync(user));

    private async Task<IdentityResult> RetryOnConcurrencyAsync(AppUser user, Func<Task<IdentityResult>> save)
    {
        var result = IdentityResult.Success;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            result = await save();
            if (!result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure)))
            {
                return result;
            }
            await db.Entry(user).ReloadAsync();
        }
        return result;
    }

    /// <summary>A password check against a fixed hash, costing what a real user's check costs.</summary>
    private void VerifyAgainstNobody(string password)
    {
        var hash = _nobodyHash ??= users.PasswordHasher.HashPassword(NobodyUser, Guid.NewGuid().ToString("N"));
        users.PasswordHasher.VerifyHashedPassword(NobodyUser, hash, password);
    }
}
