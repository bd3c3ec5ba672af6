using AiOrchestra.Web.Api;
using Microsoft.AspNetCore.Authorization;

namespace AiOrchestra.Web.Tokens;

/// <summary>
/// What a personal access token may do: <c>read</c> (look), <c>run</c> (start and cancel runs), <c>write</c> (create,
/// change and delete workflows, prompts and triggers), <c>admin</c> (administrators' routes, for an administrator's
/// token). Every API route needs one: the one it declares with <see cref="RequireScope{T}"/>, else <c>read</c> for GET
/// and <c>write</c> for anything else. A login token (POST /api/auth/login) carries no scopes and may do all its user may.
/// </summary>
public static class TokenScopes
{
    public const string Read = "read";
    public const string Run = "run";
    public const string Write = "write";
    public const string Admin = "admin";

    public static readonly string[] All = [Read, Run, Write, Admin];

    /// <summary>The claim of a personal access token naming each of its scopes.</summary>
    public const string Claim = "scope";

    /// <summary>The route needs <paramref name="scope"/> instead of its method's default.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredScope(scope));

    /// <summary>The scope a request to <paramref name="endpoint"/> with <paramref name="method"/> needs.</summary>
    public static string Needed(Endpoint? endpoint, string method) =>
        endpoint?.Metadata.GetMetadata<RequiredScope>()?.Scope ?? (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? Read : Write);

    public sealed record RequiredScope(string Scope);

    /// <summary>Part of the API's policy: a personal access token must carry the scope of the route it calls.</summary>
    public sealed class Requirement : IAuthorizationRequirement;

    internal sealed class Handler : AuthorizationHandler<Requirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, Requirement requirement)
        {
            var scopes = context.User.FindAll(Claim).Select(c => c.Value).ToList();
            var http = context.Resource as HttpContext;
            // a login token has no scope claims: its user's rights are the limit
            if (!context.User.HasClaim(c => c.Type == PersonalTokenHandler.TokenIdClaim))
            {
                context.Succeed(requirement);
                return Task.CompletedTask;
            }
            var needed = Needed(http?.GetEndpoint(), http?.Request.Method ?? "GET");
            if (scopes.Contains(needed))
            {
                context.Succeed(requirement);
            }
            else
            {
                var route = http is null ? "this route" : $"{http.Request.Method} {http.Request.Path}";
                context.Fail(new AuthorizationFailureReason(this,
                    $"This token lacks the '{needed}' scope, which {route} needs (it has: {(scopes.Count == 0 ? "none" : string.Join(", ", scopes))}). "
                    + "Make a token with that scope on your Tokens page."));
            }
            return Task.CompletedTask;
        }
    }
}
