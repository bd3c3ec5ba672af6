using AiOrchestra.Engine.Steps.Integrations;

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
/// What the Settings page shows of the integrations' secrets. Values are read through <see cref="IntegrationSecrets"/>,
/// the same way the steps read them: configuration (environment variables, appsettings) wins over a value stored from
/// the Settings page.
/// </summary>
public sealed class IntegrationSettings(IntegrationSecrets secrets, SecretStore store)
{
    /// <summary>The integrations with their secrets' labels; the keys are exactly <see cref="IntegrationSecrets.Keys"/>.</summary>
    public static readonly IReadOnlyList<Integration> All =
    [
        new("openai", "OpenAI", [new("OpenAI:ApiKey", "API key")]),
        new("github", "GitHub", [new("GitHub:Token", "Token")]),
        new("notion", "Notion", [new("Notion:Token", "Token")]),
        new("gmail", "Gmail", [new("Gmail:ClientId", "OAuth client id"), new("Gmail:ClientSecret", "OAuth client secret"), new("Gmail:RefreshToken", "Refresh token")]),
    ];

    public static bool IsKnownKey(string key) => IntegrationSecrets.Keys.Contains(key);

    public SecretSource SourceOf(string key) =>
        secrets.FromConfiguration(key) is not null ? SecretSource.Environment
        : store.Has(key) ? SecretSource.Stored
        : SecretSource.Missing;

    /// <summary>A secret shown masked: its last four characters at most, and only when it is long enough to keep the rest hidden.</summary>
    public string Masked(string key)
    {
        var value = secrets.Find(key);
        if (value is null)
        {
            return "";
        }
        return value.Length >= 16 ? "••••••••" + value[^4..] : "••••••••";
    }
}
