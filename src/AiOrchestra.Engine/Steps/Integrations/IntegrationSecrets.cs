using AiOrchestra.Engine.Execution;
using Microsoft.Extensions.Configuration;

namespace AiOrchestra.Engine.Steps.Integrations;

/// <summary>
/// The one place integration credentials are read from: configuration first (environment variables such as
/// <c>OpenAI__ApiKey</c>), then, when the host gives one, a stored value (the Settings page's encrypted store).
/// It also knows every secret's value, so texts can be redacted of them (<see cref="Redaction"/>).
/// </summary>
public sealed class IntegrationSecrets
{
    private readonly IConfiguration _configuration;
    private readonly Func<string, string?>? _storedValue;

    // Credentials obtained at run time (OAuth access tokens), by value, with the name they are redacted as.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _issued = new(StringComparer.Ordinal);

    // Built when first needed and again after a secret changes (every step output and event is searched with it);
    // kept with the change count it was built at, so a build racing a change is never kept.
    private int _changes;
    private volatile Tuple<int, SecretRedaction>? _redaction;

    /// <param name="integrations">The declared integrations whose credentials are read (the built-in ones when null).</param>
    public IntegrationSecrets(IConfiguration configuration, Func<string, string?>? storedValue = null, IEnumerable<Integration>? integrations = null)
    {
        _configuration = configuration;
        _storedValue = storedValue;
        Integrations = [.. integrations ?? BuiltInIntegrations.All];
        AllKeys = Integrations.SelectMany(i => i.Credentials).Select(c => c.Key).Distinct(StringComparer.Ordinal).ToList();
        _secretKeys = Integrations.SelectMany(i => i.Credentials).Where(c => c.Secret).Select(c => c.Key).Distinct(StringComparer.Ordinal).ToList();
        // appsettings.json edited while running, or any other configuration source reloading
        Microsoft.Extensions.Primitives.ChangeToken.OnChange(configuration.GetReloadToken, Forget);
    }

    /// <summary>The declared integrations (built-in ones, connectors, any a host adds), in the order Settings shows them.</summary>
    public IReadOnlyList<Integration> Integrations { get; }

    /// <summary>Every credential setting the declared integrations read: the ones Settings may store.</summary>
    public IReadOnlyList<string> AllKeys { get; }

    // the credentials declared secret: the ones redacted from texts
    private readonly IReadOnlyList<string> _secretKeys;

    // The credentials of the project whose run this flow executes (set around a run by the host): its own values
    // first, then the instance's only when the project may use them. Flows with the run into its steps and child runs.
    private static readonly AsyncLocal<CredentialScope?> Current = new();

    /// <summary>
    /// Until disposed, this flow (a run, its steps and its child runs) reads credentials from <paramref name="scope"/>
    /// first, and the instance's configured and stored values only when <see cref="CredentialScope.UsesInstance"/>.
    /// </summary>
    public static IDisposable Use(CredentialScope scope)
    {
        var before = Current.Value;
        Current.Value = scope;
        return new Restore(before);
    }

    private sealed class Restore(CredentialScope? before) : IDisposable
    {
        public void Dispose() => Current.Value = before;
    }

    /// <summary>
    /// The value of <paramref name="key"/> (e.g. <c>Notion:Token</c>) for the current flow, or null when it is set
    /// nowhere it may be read: the run's project's own value, else (when the project may use them) the instance's.
    /// </summary>
    public string? Find(string key)
    {
        if (Current.Value is { } scope)
        {
            if (Usable(scope.Own(key)) is { } own)
            {
                return own;
            }
            if (!scope.UsesInstance)
            {
                return null;
            }
        }
        return FindInstance(key);
    }

    /// <summary>The instance's value of <paramref name="key"/>: configuration first, then the instance's stored value.</summary>
    public string? FindInstance(string key) => FromConfiguration(key) ?? Usable(_storedValue?.Invoke(key));

    /// <summary>
    /// The value configuration (environment variables, appsettings) gives <paramref name="key"/>, or null when it gives
    /// none or only whitespace, in which case the stored value is the one used.
    /// </summary>
    public string? FromConfiguration(string key) => Usable(_configuration[key]);

    private static string? Usable(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The value of <paramref name="key"/>; fails the step before anything is called when it is not set.</summary>
    public string Require(string key) =>
        Find(key) ?? throw new StepFailedException(Current.Value is { UsesInstance: false }
            ? $"{key} is not set for this project: a project admin saves it on the Settings page (this project may not use the instance's)"
            : $"{key} is not set: set the environment variable {key.Replace(":", "__", StringComparison.Ordinal)} or save it on the Settings page");

    /// <summary>Remembers a credential obtained at run time (an OAuth access token) so it is redacted like configured ones.</summary>
    public void AddIssued(string value, string name = "Gmail:AccessToken")
    {
        if (value.Length >= SecretRedaction.MinimumLength && _issued.TryAdd(value, name))
        {
            Forget();
        }
    }

    /// <summary>A secret was set or removed (the Settings page's store): the next redaction reads them all again.</summary>
    public void Forget() => Interlocked.Increment(ref _changes);

    /// <summary>Every configured secret's value with its setting's name, ready to search texts for.</summary>
    public SecretRedaction Redaction
    {
        get
        {
            var changes = Volatile.Read(ref _changes);
            if (_redaction is { } known && known.Item1 == changes)
            {
                return known.Item2;
            }
            var built = Build();
            _redaction = Tuple.Create(changes, built);
            return built;
        }
    }

    private SecretRedaction Build()
    {
        var secrets = new List<(string Name, string Value)>();
        foreach (var key in _secretKeys)
        {
            if (FindInstance(key) is { } value)
            {
                secrets.Add((key, value));
            }
        }
        // the mcp step's servers are configured by name, each with its own token
        foreach (var server in _configuration.GetSection("Mcp:Servers").GetChildren())
        {
            if (Usable(server["Token"]) is { } token)
            {
                secrets.Add(($"Mcp:Servers:{server.Key}:Token", token));
            }
        }
        secrets.AddRange(_issued.Select(issued => (issued.Value, issued.Key)));
        return secrets.Count == 0 ? SecretRedaction.None : new SecretRedaction(secrets);
    }

    /// <summary><paramref name="text"/> with the value of every known secret replaced by <c>[redacted: &lt;setting&gt;]</c>.</summary>
    public string Scrub(string text) => Redaction.Redact(text);
}

/// <summary>A project's credentials as a run reads them: its own values, and whether the instance's may fill the gaps.</summary>
public sealed record CredentialScope(Func<string, string?> Own, bool UsesInstance);
