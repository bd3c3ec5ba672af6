using Microsoft.AspNetCore.Identity;

namespace AiOrchestra.Web.Data;

/// <summary>A person who logs in (Identity) and owns workflows, prompts and runs.</summary>
public sealed class AppUser : IdentityUser
{
    /// <summary>Set by an administrator: the account cannot sign in and its sessions and tokens stop working.</summary>
    public bool Disabled { get; set; }

    /// <summary>The password was chosen by an administrator: the dashboard asks for a new one before anything else.</summary>
    public bool MustChangePassword { get; set; }
}
