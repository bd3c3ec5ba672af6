using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Steps.Connectors;
using AiOrchestra.Engine.Steps.GitHub;
using AiOrchestra.Engine.Steps.Gmail;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Engine.Steps.Notion;
using AiOrchestra.Engine.Steps.OpenAI;
using Microsoft.Extensions.Configuration;

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

/// <summary>
/// A setting of an integration that is not secret (where its calls go, a default model), by its configuration key;
/// an address is shown without any credentials or query written into it.
/// </summary>
public sealed record IntegrationSetting(string Key, string Label, string DefaultValue, bool IsAddress = true);

/// <summary>An integration, the secrets it needs and its other settings.</summary>
public sealed record Integration(string Name, string Title, IReadOnlyList<IntegrationSecret> Secrets, IReadOnlyList<IntegrationSetting> Settings);

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
public sealed class IntegrationSettings(IntegrationSecrets secrets, SecretStore store, IConfiguration configuration, ConnectorSet? connectors = null)
{
    /// <summary>The built-in integrations, then each loaded connector with its credentials and its server.</summary>
    public IReadOnlyList<Integration> Integrations { get; } =
    [
        .. All,
        .. (connectors?.Connectors ?? []).Select(c => new Integration(c.Name, $"{c.Title} (connector {Path.GetFileName(c.File)})",
            c.Credentials.Select(credential => new IntegrationSecret(c.CredentialKey(credential.Name), credential.Label)).ToList(),
            [new IntegrationSetting(c.BaseUrlKey, "Server", c.BaseUrl)])),
    ];

    /// <summary>The connectors folder's files that did not load, and why.</summary>
    public IReadOnlyList<string> ConnectorProblems => connectors?.Problems ?? [];

    /// <summary>
    /// The integrations with their secrets' labels (the keys are exactly <see cref="IntegrationSecrets.Keys"/>) and
    /// their other settings with the defaults the steps' options have.
    /// </summary>
    public static readonly IReadOnlyList<Integration> All =
    [
        new("openai", "OpenAI", [new("OpenAI:ApiKey", "API key")],
            [new("OpenAI:BaseUrl", "Server", new OpenAIOptions().BaseUrl), new("OpenAI:Model", "Model when a step names none", new OpenAIOptions().Model, IsAddress: false)]),
        new("anthropic", "Anthropic", [new("Anthropic:ApiKey", "API key")],
            [new("Anthropic:BaseUrl", "Server", new AnthropicOptions().BaseUrl), new("Anthropic:Model", "Model when a step names none", new AnthropicOptions().Model, IsAddress: false)]),
        new("local", "Local model (OpenAI-compatible)", [new("Local:ApiKey", "API key (if the server needs one)")],
            [new("Local:BaseUrl", "Server", new LocalModelOptions().BaseUrl), new("Local:Model", "Model when a step names none", new LocalModelOptions().Model, IsAddress: false)]),
        new("github", "GitHub", [new("GitHub:Token", "Token")], [new("GitHub:BaseUrl", "Server", new GitHubOptions().BaseUrl)]),
        new("notion", "Notion", [new("Notion:Token", "Token")], [new("Notion:BaseUrl", "Server", new NotionOptions().BaseUrl)]),
        new("gmail", "Gmail",
            [new("Gmail:ClientId", "OAuth client id"), new("Gmail:ClientSecret", "OAuth client secret"), new("Gmail:RefreshToken", "Refresh token")],
            [new("Gmail:BaseUrl", "Server", new GmailOptions().BaseUrl), new("Gmail:TokenUrl", "Token endpoint", new GmailOptions().TokenUrl)]),
    ];

    /// <summary>
    /// The external MCP servers the <c>mcp</c> step can call (<c>Mcp:Servers:&lt;name&gt;</c>): each name, its address as
    /// <see cref="ValueOf"/> shows addresses, and whether a token is set (never the token).
    /// </summary>
    public IReadOnlyList<(string Name, string Address, bool HasToken)> McpServers() =>
        configuration.GetSection("Mcp:Servers").GetChildren()
            .OrderBy(server => server.Key, StringComparer.Ordinal)
            .Select(server => (server.Key,
                ValueOf(new IntegrationSetting($"Mcp:Servers:{server.Key}:Url", "Server", "")).Value,
                !string.IsNullOrWhiteSpace(server["Token"])))
            .ToList();

    public bool IsKnownKey(string key) => secrets.AllKeys.Contains(key);

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

    /// <summary>
    /// A non-secret setting's value as the steps use it, and whether configuration sets it. Of an address only the
    /// scheme, host, port and path are shown: a user name, password or key can be written into the rest.
    /// </summary>
    public (string Value, bool Configured) ValueOf(IntegrationSetting setting)
    {
        var configured = configuration[setting.Key];
        var value = configured ?? setting.DefaultValue;
        if (!setting.IsAddress)
        {
            return (value, configured is not null);
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            return ($"not an http(s) address: set {setting.Key.Replace(":", "__", StringComparison.Ordinal)} to one", configured is not null);
        }
        var shown = address.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        var hidden = address.UserInfo.Length > 0 || address.Query.Length > 0 || address.Fragment.Length > 0;
        return (hidden ? shown + " (credentials and query hidden)" : shown, configured is not null);
    }
}
