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
    private async Task CountFailureAsync(AppUser user)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var counted = await users.AccessFailedAsync(user);
            if (!counted.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure)))
            {
                return;
            }
            await db.Entry(user).ReloadAsync();
        }
    }

    /// <summary>A password check against a fixed hash, costing what a real user's check costs.</summary>
    private void VerifyAgainstNobody(string password)
    {
        var hash = _nobodyHash ??= users.PasswordHasher.HashPassword(NobodyUser, Guid.NewGuid().ToString("N"));
        users.PasswordHasher.VerifyHashedPassword(NobodyUser, hash, password);
    }
}
