using System.Globalization;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;

namespace AiOrchestra.Web.Account;

/// <summary>
/// Checks a user name and password for the login page and the API alike. An unknown user, a locked account and a
/// wrong password fail the same way after the same work (one password hash check), so neither the answer nor its
/// timing tells which user names exist. A wrong password counts towards the lockout; a right one resets the count.
/// </summary>
public sealed class PasswordCheck(UserManager<AppUser> users)
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
            await users.AccessFailedAsync(user);
            return null;
        }
        await users.ResetAccessFailedCountAsync(user);
        return user;
    }

    /// <summary>A password check against a fixed hash, costing what a real user's check costs.</summary>
    private void VerifyAgainstNobody(string password)
    {
        var hash = _nobodyHash ??= users.PasswordHasher.HashPassword(NobodyUser, Guid.NewGuid().ToString("N"));
        users.PasswordHasher.VerifyHashedPassword(NobodyUser, hash, password);
    }
}
