namespace AiOrchestra.Web.Settings;

/// <summary>Where an integration's secret comes from.</summary>
public enum SecretSource
{
    Missing,
    Environment,
    Stored,
}

/// <summary>One secret an integration needs, by its configuration key.</summary>
public sealed record IntegrationSecret(string Key, string Label);

/// <summary>An integration and the secrets it needs.</summary>
public sealed record Integration(string Name, string Title, IReadOnlyList<IntegrationSecret> Secrets);

/// <summary>
/// A connection test an integration offers the Settings page (registered by the integration as a singleton).
/// Returns null when the connection works, or a sentence saying what is wrong.
/// </summary>
public interface IIntegrationCheck
{
    string Integration { get; }

    Task<string?> TestAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The integrations' secrets: configuration (environment variables, appsettings) wins over a value stored from
/// the Settings page. Integrations read their secrets through <see cref="Read"/>.
/// </summary>
public sealed class IntegrationSettings(IConfiguration configuration, SecretStore secrets)
{
    public static readonly IReadOnlyList<Integration> All =
    [
        new("openai", "OpenAI", [new("OpenAI:ApiKey", "API key")]),
        new("github", "GitHub", [new("GitHub:Token", "Token")]),
        new("notion", "Notion", [new("Notion:Token", "Token")]),
        new("gmail", "Gmail", [new("Gmail:ClientId", "OAuth client id"), new("Gmail:ClientSecret", "OAuth client secret"), new("Gmail:RefreshToken", "Refresh token")]),
    ];

    public static bool IsKnownKey(string key) => All.Any(i => i.Secrets.Any(s => s.Key == key));

    /// <summary>The value of a secret such as <c>OpenAI:ApiKey</c>: from configuration first, else the stored one, else null.</summary>
    public string? Read(string key)
    {
        var configured = configuration[key];
        return string.IsNullOrEmpty(configured) ? secrets.Get(key) : configured;
    }

    public SecretSource SourceOf(string key) =>
        !string.IsNullOrEmpty(configuration[key]) ? SecretSource.Environment
        : secrets.Has(key) ? SecretSource.Stored
        : SecretSource.Missing;

    /// <summary>A secret shown masked: its last four characters at most, and only when it is long enough to keep the rest hidden.</summary>
    public string Masked(string key)
    {
        var value = Read(key);
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        return value.Length >= 16 ? "••••••••" + value[^4..] : "••••••••";
    }
}
