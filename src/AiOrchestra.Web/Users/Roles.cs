using Microsoft.AspNetCore.Identity;

namespace AiOrchestra.Web.Users;

/// <summary>The two roles: administrators manage users and see the audit log; users have their own things only.</summary>
public static class Roles
{
    public const string Administrator = "Administrator";

    /// <summary>Fixed, so a migration can grant it and a check needs no lookup by name.</summary>
    public const string AdministratorId = "administrator";

    internal static IdentityRole AdministratorRole => new()
    {
        Id = AdministratorId,
        Name = Administrator,
        NormalizedName = "ADMINISTRATOR",
        ConcurrencyStamp = "administrator",
    };
}
