using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AiOrchestra.Web.Api.Auth;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The id of the project the request works in (the token's user's id for their personal project); every query of the API is scoped to it.</summary>
    public static string OwnerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(Projects.ProjectAccess.ProjectClaim)
        ?? user.FindFirstValue(JwtRegisteredClaimNames.Sub)
        ?? throw new InvalidOperationException("An authenticated API request carries no 'sub' claim.");
}
