using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Engine.Steps.Integrations;

/// <summary>
/// Everything about one integration, declared once in its own folder (<c>Steps/GitHub/GitHubIntegration.cs</c>): its
/// credentials, its other settings, its HTTP client and timeouts, its connection check, and the services its step type
/// needs (the step type itself declares its actions and parameter schema). The Settings page, the connection checks,
/// the secret store, the redaction of secrets and the host's DI set-up all read these declarations; adding an integration
/// is its folder plus one line in <see cref="BuiltInIntegrations.All"/>.
/// </summary>
/// <param name="Name">Lower-case id: the Settings section (<c>integration-github</c>), the check's name, the metrics' provider label.</param>
/// <param name="Title">What a person reads on Settings ("GitHub").</param>
/// <param name="Section">Its configuration section (<c>GitHub</c>): the options' section and <c>GitHub:Resilience</c> overrides.</param>
public sealed record Integration(string Name, string Title, string Section)
{
    /// <summary>The credentials it reads through <see cref="IntegrationSecrets"/>, each storable on Settings.</summary>
    public IReadOnlyList<IntegrationCredential> Credentials { get; init; } = [];

    /// <summary>Its settings that are not credentials (server address, default model), shown on Settings.</summary>
    public IReadOnlyList<IntegrationSetting> Settings { get; init; } = [];

    /// <summary>Its named HttpClient, given the standard resilience handler with these timeouts by the host.</summary>
    public IntegrationHttpClient? HttpClient { get; init; }

    /// <summary>The one cheap authenticated request the Settings page's "Test connection" sends (needs <see cref="HttpClient"/>).</summary>
    public ConnectionRequest? CheckConnection { get; init; }

    /// <summary>Registers its options, its step type and whatever else it needs.</summary>
    public Action<IServiceCollection, IConfiguration>? AddServices { get; init; }

    /// <summary>How failures name it ("could not reach the local model server"); the title when not set.</summary>
    public string? CalledAs { get; init; }

    /// <summary>The credential a 401 or 403 tells a person to check; the last one declared when not set.</summary>
    public string? CheckedCredential { get; init; }

    /// <summary>The failure wording of its calls (which setting to check), scrubbed of secrets.</summary>
    public Provider Provider(IntegrationSecrets secrets, TimeProvider? time = null) =>
        new(CalledAs ?? Title, CheckedCredential ?? Credentials.LastOrDefault()?.Key ?? Section, secrets, time);
}

/// <summary>
/// A credential by its configuration key (<c>Notion:Token</c>, environment <c>Notion__Token</c>). A secret one is masked
/// on Settings and redacted from every log, output and error; every one can be stored (encrypted) from Settings.
/// </summary>
public sealed record IntegrationCredential(string Key, string Label, bool Secret = true);

/// <summary>
/// A setting that is not a credential (where its calls go, a default model), by its configuration key, with the default
/// its options have; an address is shown without any credentials or query written into it.
/// </summary>
public sealed record IntegrationSetting(string Key, string Label, string DefaultValue, bool IsAddress = true);

/// <summary>
/// The named HttpClient of an integration: the standard resilience handler (retries with backoff and jitter on 408/429/5xx,
/// Retry-After honoured) with these attempt and total timeouts; <c>Integrations:Resilience</c> and
/// <c>&lt;Section&gt;:Resilience</c> override them.
/// </summary>
public sealed record IntegrationHttpClient(string Name, TimeSpan AttemptTimeout, TimeSpan TotalTimeout)
{
    /// <summary>An LLM answer takes long: generous limits (a step's timeout_seconds can be shorter).</summary>
    public static IntegrationHttpClient ForModels(string name) => new(name, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15));

    /// <summary>An ordinary REST API.</summary>
    public static IntegrationHttpClient ForApi(string name) => new(name, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(3));
}

/// <summary>Builds the connection check's request; throws <see cref="Execution.StepFailedException"/> when a setting is missing or wrong.</summary>
public delegate Task<HttpRequestMessage> ConnectionRequest(ConnectionCheckCall call, CancellationToken cancellationToken);

/// <summary>What a connection check's request is built from: the app's services (options), the credentials, and the check's own client.</summary>
public sealed record ConnectionCheckCall(IServiceProvider Services, IntegrationSecrets Secrets, Provider Provider, string ClientName)
{
    /// <summary>The integration's options as the steps see them (<c>call.Options&lt;GitHubOptions&gt;().BaseUrl</c>).</summary>
    public T Options<T>() where T : class => Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<T>>().Value;

    /// <summary><paramref name="baseUrl"/> with <paramref name="path"/> appended, or a failure naming <paramref name="setting"/>.</summary>
    public static Uri Address(string setting, string baseUrl, string path) =>
        Uri.TryCreate(baseUrl.TrimEnd('/') + path, UriKind.Absolute, out var uri)
            ? uri
            : throw new Execution.StepFailedException($"{setting} '{baseUrl}' is not an absolute URL");

    /// <summary>A GET of <paramref name="address"/>, with <c>Authorization: Bearer</c> when a token is given.</summary>
    public static HttpRequestMessage Get(Uri address, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, address);
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        return request;
    }
}
