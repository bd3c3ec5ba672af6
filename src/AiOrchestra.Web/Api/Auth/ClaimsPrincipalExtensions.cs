using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AiOrchestra.Web.Api.Auth;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The id of the user the bearer token was issued to; every query of the API is scoped to it.</summary>
    public static string OwnerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(JwtRegisteredClaimNames.Sub)
        ?? throw new InvalidOperationException("An authenticated API request carries no 'sub' claim.");
}
