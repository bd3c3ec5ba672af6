using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace AiOrchestra.Web.Users;

/// <summary>
/// A user whose password an administrator chose (a new account or a reset) sees only the password page, and the
/// logout, until they have chosen their own.
/// </summary>
public sealed class PasswordChangeRequired(AccountStates states) : IAsyncPageFilter
{
    private static readonly string[] Allowed = ["/Account/Password", "/Account/Logout", "/Error"];

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var userId = context.HttpContext.User.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is not null && !Allowed.Contains(context.ActionDescriptor.ViewEnginePath, StringComparer.OrdinalIgnoreCase)
            && await states.GetAsync(userId, null, context.HttpContext.RequestAborted) is { MustChangePassword: true })
        {
            context.Result = new RedirectResult("/Account/Password");
            return;
        }
        await next();
    }
}
