using AiOrchestra.Web.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace AiOrchestra.Web.Tokens;

public static class TokensExtensions
{
    /// <summary>Personal access tokens: their store, their scope check, and a 403 of the API that says which scope is missing.</summary>
    public static WebApplicationBuilder AddTokens(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<PersonalTokens>();
        builder.Services.AddSingleton<IAuthorizationHandler, TokenScopes.Handler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ForbiddenProblem>();
        return builder;
    }

    /// <summary>An API request that is authenticated but not allowed gets problem details with the reasons (the scope it needs).</summary>
    private sealed class ForbiddenProblem : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.ToList() ?? [];
            if (authorizeResult.Forbidden && reasons.OfType<Projects.ProjectRequirement.NotFound>().FirstOrDefault() is { } notFound)
            {
                // another's project is answered as any other id of theirs: it does not exist for this user
                if (ApiExtensions.IsApi(context))
                {
                    await Api.Auth.ApiAuthentication.WriteProblemAsync(context, StatusCodes.Status404NotFound, "Not Found", notFound.Message, wwwAuthenticate: null);
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                }
                return;
            }
            if (authorizeResult.Forbidden && !ApiExtensions.IsApi(context) && reasons.Count > 0)
            {
                context.Items[Projects.ProjectPageFilter.RefusalItem] = string.Join(" ", reasons.Select(r => r.Message));
            }
            if (authorizeResult.Forbidden && (ApiExtensions.IsApi(context) || policy.Requirements.OfType<TokenScopes.Requirement>().Any()))
            {
                await Api.Auth.ApiAuthentication.WriteProblemAsync(context, StatusCodes.Status403Forbidden, "Forbidden",
                    reasons.Count > 0 ? string.Join(" ", reasons.Select(r => r.Message)) : "You may not do this.", wwwAuthenticate: null);
                return;
            }
            await _default.HandleAsync(next, context, policy, authorizeResult);
        }
    }
}
