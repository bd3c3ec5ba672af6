using Microsoft.AspNetCore.Identity;

namespace AiOrchestra.Web.Data;

/// <summary>A person who logs in (Identity) and owns workflows, prompts and runs.</summary>
public sealed class AppUser : IdentityUser;
