using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Account;

/// <summary>
/// Logging out changes the user's security stamp, which ends every cookie and API token issued before: Identity's
/// stamp check finds that out within its validation interval (a minute), in every process. This process also
/// remembers the new stamp of each user who logged out here, so a cookie carrying an older one is refused at once,
/// on its very next request, not a minute later.
/// </summary>
public sealed class SignedOutStamps
{
    private readonly ConcurrentDictionary<string, string> _current = new(StringComparer.Ordinal);

    /// <summary>Records the stamp <paramref name="userId"/> has after logging out.</summary>
    public void Remember(string userId, string stamp) => _current[userId] = stamp;

    /// <summary>Cookie validation: refuses a cookie with an older stamp than this process knows, then runs Identity's own check.</summary>
    public static Func<CookieValidatePrincipalContext, Task> Validate(Func<CookieValidatePrincipalContext, Task> identityCheck) => async context =>
    {
        var stamps = context.HttpContext.RequestServices.GetRequiredService<SignedOutStamps>();
        var principal = context.Principal;
        var userId = principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is not null
            && stamps._current.TryGetValue(userId, out var current)
            && principal!.FindFirstValue(StampClaim(context)) != current)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            return;
        }
        await identityCheck(context);
    };

    private static string StampClaim(CookieValidatePrincipalContext context) =>
        context.HttpContext.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
}
