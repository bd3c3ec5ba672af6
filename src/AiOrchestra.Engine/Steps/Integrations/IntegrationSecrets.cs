using AiOrchestra.Engine.Execution;
using Microsoft.Extensions.Configuration;

namespace AiOrchestra.Engine.Steps.Integrations;

/// <summary>
/// The one place integration credentials are read from: configuration first (environment variables such as
/// <c>OpenAI__ApiKey</c>), then, when the host gives one, a stored value (the Settings page's encrypted store).
/// It also knows every secret's value so error texts can be scrubbed of them.
/// </summary>
public sealed class IntegrationSecrets(IConfiguration configuration, Func<string, string?>? storedValue = null, IReadOnlyList<string>? connectorKeys = null)
{
    // Credentials obtained at run time (OAuth access tokens) are masked like configured ones.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _issued = new(StringComparer.Ordinal);

    /// <summary>Every credential setting the integrations read.</summary>
    public static readonly IReadOnlyList<string> Keys =
        ["OpenAI:ApiKey", "Anthropic:ApiKey", "Local:ApiKey", "GitHub:Token", "Notion:Token", "Gmail:ClientId", "Gmail:ClientSecret", "Gmail:RefreshToken"];

    /// <summary>Every credential setting, the connectors' (<c>Connectors:slack:token</c>) included.</summary>
    public IReadOnlyList<string> AllKeys { get; } = [.. Keys, .. connectorKeys ?? []];

    private const string Mask = "[secret]";

    /// <summary>The value of <paramref name="key"/> (e.g. <c>Notion:Token</c>), or null when it is set nowhere.</summary>
    public string? Find(string key) => FromConfiguration(key) ?? Usable(storedValue?.Invoke(key));

    /// <summary>
    /// The value configuration (environment variables, appsettings) gives <paramref name="key"/>, or null when it gives
    /// none or only whitespace, in which case the stored value is the one used.
    /// </summary>
    public string? FromConfiguration(string key) => Usable(configuration[key]);

    private static string? Usable(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The value of <paramref name="key"/>; fails the step before anything is called when it is not set.</summary>
    public string Require(string key) =>
        Find(key) ?? throw new StepFailedException(
            $"{key} is not set: set the environment variable {key.Replace(":", "__", StringComparison.Ordinal)} or save it on the Settings page");

    /// <summary>Remembers a credential obtained at run time (an OAuth access token) so <see cref="Scrub"/> masks it too.</summary>
    public void AddIssued(string value)
    {
        if (value.Length >= 6)
        {
            _issued.TryAdd(value, true);
        }
    }

    /// <summary><paramref name="text"/> with the value of every known secret replaced by a mask.</summary>
    public string Scrub(string text)
    {
        foreach (var issued in _issued.Keys)
        {
            text = text.Replace(issued, Mask, StringComparison.Ordinal);
        }
        foreach (var key in AllKeys)
        {
            // A very short value would mask ordinary words; real keys and tokens are long.
            if (Find(key) is { Length: >= 6 } value)
            {
                text = text.Replace(value, Mask, StringComparison.Ordinal);
            }
        }
        // the mcp step's servers are configured by name, each with its own token
        foreach (var server in configuration.GetSection("Mcp:Servers").GetChildren())
        {
            if (Usable(server["Token"]) is { Length: >= 6 } token)
            {
                text = text.Replace(token, Mask, StringComparison.Ordinal);
            }
        }
        return text;
    }
}
