using System.Security.Claims;
using AiOrchestra.Web.Dashboard;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Users;

public static class UsersExtensions
{
    /// <summary>The policy of the administrators' pages: a signed-in administrator (checked on each request, so a demotion applies at once).</summary>
    public const string AdministratorsPolicy = "administrators";

    /// <summary>The Users page and invitations; administrators' pages; a first password must be changed before anything else.</summary>
    public static WebApplicationBuilder AddUsers(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddScoped<UserAdministration>();
        services.AddSingleton<IAuthorizationHandler, AdministratorHandler>();
        services.AddAuthorizationBuilder().AddPolicy(AdministratorsPolicy, policy => policy
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new AdministratorRequirement()));
        services.Configure<RazorPagesOptions>(options =>
        {
            options.Conventions.AuthorizeFolder("/Users", AdministratorsPolicy);
            options.Conventions.AllowAnonymousToPage("/Account/Invitation");
        });
        services.Configure<MvcOptions>(options => options.Filters.Add<PasswordChangeRequired>());
        return builder;
    }

    /// <summary>The user is an administrator now, not when their cookie or token was issued.</summary>
    public sealed class AdministratorRequirement : IAuthorizationRequirement;

    private sealed class AdministratorHandler(AccountStates states) : AuthorizationHandler<AdministratorRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, AdministratorRequirement requirement)
        {
            var userId = context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? context.User.FindFirstValue("sub");
            var aborted = (context.Resource as HttpContext)?.RequestAborted ?? CancellationToken.None;
            if (userId is not null && await states.GetAsync(userId, null, aborted) is { IsAdministrator: true, Disabled: false })
            {
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new AuthorizationFailureReason(this, "Only administrators may do this."));
            }
        }
    }
}
