using System.Security.Claims;
using AiOrchestra.Web.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AiOrchestra.Web.Projects;

/// <summary>
/// Part of the API's and the pages' policies: the request works in one project, the user must be in it, and (API) the
/// route's scope must be within their role there. An API request names its project by its personal access token's
/// project or <c>?project=</c>; a page by <c>?project=</c> or the project chosen in the header (a cookie); else the
/// user's personal project. A project that is not theirs does not exist for them (404); a role too low is a 403 that
/// names the role needed.
/// </summary>
public sealed record ProjectRequirement(bool Api) : IAuthorizationRequirement
{
    /// <summary>The cookie holding the project chosen in the dashboard's header.</summary>
    public const string Cookie = "AiOrchestra.Project";

    /// <summary>The claim of a personal access token made for a project.</summary>
    public const string TokenProjectClaim = "token_project";

    /// <summary>The role an API scope needs in the project; null for the administrators' routes, which check the user instead.</summary>
    public static ProjectRole? RoleFor(string scope) => scope switch
    {
        TokenScopes.Read => ProjectRole.Viewer,
        TokenScopes.Run => ProjectRole.Operator,
        TokenScopes.Write => ProjectRole.Editor,
        _ => null,
    };

    internal sealed class Handler(ProjectAccess access) : AuthorizationHandler<ProjectRequirement>
    {
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ProjectRequirement requirement)
        {
            if (context.Resource is not HttpContext http
                || (context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? context.User.FindFirstValue(JwtRegisteredClaimNames.Sub)) is not { } userId)
            {
                return;
            }
            if (context.User.ProjectId() is not null)
            {
                // resolved already (a page's policy evaluated twice)
                context.Succeed(requirement);
                return;
            }
            var asked = http.Request.Query["project"].ToString() is { Length: > 0 and <= 36 } query ? query : null;
            var tokenProject = context.User.FindFirstValue(TokenProjectClaim);
            if (tokenProject is not null && asked is not null && asked != tokenProject)
            {
                context.Fail(new AuthorizationFailureReason(this, $"This token works in one project only ('{tokenProject}'), not in '{asked}'. Leave out ?project= or use a token made for that project."));
                return;
            }
            var projectId = tokenProject ?? asked;
            if (projectId is null && !requirement.Api && http.Request.Cookies[Cookie] is { Length: > 0 and <= 36 } chosen)
            {
                // a project chosen earlier that is no longer theirs falls back to the personal one
                projectId = await access.SeatAsync(userId, chosen, http.RequestAborted) is null ? null : chosen;
            }
            var seat = await access.SeatAsync(userId, projectId ?? userId, http.RequestAborted);
            if (seat is null)
            {
                context.Fail(new NotFound(this, $"There is no project '{projectId}' of yours: check the id, or ask its administrator to add you."));
                return;
            }
            ProjectAccess.Seat(context.User, seat);
            if (requirement.Api && RoleFor(TokenScopes.Needed(http.GetEndpoint(), http.Request.Method)) is { } needed && seat.Role < needed)
            {
                context.Fail(new AuthorizationFailureReason(this, Refusal(seat, needed, $"{http.Request.Method} {http.Request.Path}")));
                return;
            }
            context.Succeed(requirement);
        }
    }

    /// <summary>Why a role is not enough, in words the user can act on.</summary>
    public static string Refusal(ProjectSeat seat, ProjectRole needed, string what) =>
        $"{what} needs the '{needed.Name()}' role ({needed.Describe()}) in project '{seat.Name}'; you are '{seat.Role.Name()}' there. Ask a project admin for the role.";

    /// <summary>The project is not the user's: answered as a 404, as any other id of someone else's.</summary>
    public sealed class NotFound(IAuthorizationHandler handler, string message) : AuthorizationFailureReason(handler, message);
}
