using Microsoft.AspNetCore.Identity;

namespace AiOrchestra.Web.Data;

/// <summary>A person who owns workflows, prompts and runs. Login arrives with a later feature; the table is here now.</summary>
public sealed class AppUser : IdentityUser;
