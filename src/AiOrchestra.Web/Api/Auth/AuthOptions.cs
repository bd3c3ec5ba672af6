namespace AiOrchestra.Web.Api.Auth;

/// <summary>The <c>Auth</c> section: the JWT signing key (generated and kept under data/ when absent) and token lifetime.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>At least 32 bytes of key material (any text); empty means generate one and keep it under data/.</summary>
    public string? SigningKey { get; set; }

    public int TokenMinutes { get; set; } = 60;

    /// <summary>Login attempts allowed per client address and minute, before 429 (lockout counts failures per user on top).</summary>
    public int LoginAttemptsPerMinute { get; set; } = 10;
}
