using System.Security.Claims;
using AiOrchestra.Web.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Account;

/// <summary>
/// Every request with the dashboard's cookie: the account must still exist, be enabled, and have the security stamp
/// the cookie was issued with (a logout, a password change or a reset gives it a new one). Otherwise the cookie is
/// refused on that very request, not at Identity's next periodic check.
/// </summary>
public static class CookieCheck
{
    public static Func<CookieValidatePrincipalContext, Task> Validate(Func<CookieValidatePrincipalContext, Task> identityCheck) => async context =>
    {
        var principal = context.Principal;
        var userId = principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var services = context.HttpContext.RequestServices;
        if (userId is null)
        {
            await identityCheck(context);
            return;
        }
        var state = await services.GetRequiredService<AccountStates>().GetAsync(userId, context.Properties.IssuedUtc, context.HttpContext.RequestAborted);
        var stampClaim = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        if (state is null || state.Disabled || principal!.FindFirstValue(stampClaim) != state.SecurityStamp)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            return;
        }
        await identityCheck(context);
    };
}
