using AiOrchestra.Engine.Steps.Connectors;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.Configuration;

namespace AiOrchestra.Web.Settings;

/// <summary>Where an integration's secret comes from.</summary>
public enum SecretSource
{
    Missing,
    Environment,
    Stored,
}

/// <summary>
/// What the Settings page shows of the integrations' secrets. Values are read through <see cref="IntegrationSecrets"/>,
/// the same way the steps read them: configuration (environment variables, appsettings) wins over a value stored from
/// the Settings page.
/// </summary>
public sealed class IntegrationSettings(IntegrationSecrets secrets, SecretStore store, IConfiguration configuration, ConnectorSet? connectors = null)
{
    /// <summary>The declared integrations: the built-in ones, then each loaded connector (and any a host adds).</summary>
    public IReadOnlyList<Integration> Integrations => secrets.Integrations;

    /// <summary>The connectors folder's files that did not load, and why.</summary>
    public IReadOnlyList<string> ConnectorProblems => connectors?.Problems ?? [];

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

    /// <summary>A credential as Settings shows it: a secret masked, any other (a user name) as it is.</summary>
    public string Shown(IntegrationCredential credential) =>
        credential.Secret ? Masked(credential.Key) : secrets.FindInstance(credential.Key) ?? "";

    /// <summary>A secret shown masked: its last four characters at most, and only when it is long enough to keep the rest hidden.</summary>
    public string Masked(string key)
    {
        var value = secrets.FindInstance(key);
        return value is null ? "" : Mask(value);
    }

    public static string Mask(string value) => value.Length >= 16 ? "••••••••" + value[^4..] : "••••••••";

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
