using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Web.Connectors;
using AiOrchestra.Web.Integrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// The integrations as the app wires them (AddIntegrations), with every secret set to a recognisable value, the
/// resilience pipeline's delays cut to milliseconds, and every log line captured.
/// </summary>
internal sealed class IntegrationHarness : IAsyncDisposable
{
    public const string OpenAIKey = "sk-test-OPENAI-KEY-7f3a9c";
    public const string AnthropicKey = "sk-ant-TEST-ANTHROPIC-KEY-4d1e";
    public const string GitHubToken = "ghp_TEST-GITHUB-TOKEN-51b2";
    public const string NotionToken = "secret_TEST-NOTION-TOKEN-88d0";
    public const string GmailClientId = "test-GMAIL-CLIENT-ID-2c4e.apps.example";
    public const string GmailClientSecret = "TEST-GMAIL-CLIENT-SECRET-93aa";
    public const string GmailRefreshToken = "1//TEST-GMAIL-REFRESH-TOKEN-71fe";
    public const string GmailAccessToken = "ya29.TEST-GMAIL-ACCESS-TOKEN-60bd";

    public static readonly string[] Secrets =
        [OpenAIKey, GitHubToken, NotionToken, GmailClientId, GmailClientSecret, GmailRefreshToken, GmailAccessToken];

    private readonly ServiceProvider _services;

    private IntegrationHarness(ServiceProvider services, CapturedLogs logs, PromptShelf prompts)
    {
        _services = services;
        Logs = logs;
        Prompts = prompts;
    }

    public CapturedLogs Logs { get; }

    public PromptShelf Prompts { get; }

    /// <summary>
    /// A harness whose every provider points at <paramref name="baseUrl"/>; <paramref name="settings"/> override
    /// (a null value removes a setting, e.g. a missing key).
    /// </summary>
    /// <param name="services">More registrations, before the integrations'.</param>
    /// <param name="connectorsFolder">When given, the connector files of that folder are loaded as the app loads them.</param>
    public static IntegrationHarness Create(string baseUrl, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string? connectorsFolder = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["OpenAI:ApiKey"] = OpenAIKey,
            ["OpenAI:BaseUrl"] = baseUrl + "/v1",
            ["Anthropic:ApiKey"] = AnthropicKey,
            ["Anthropic:BaseUrl"] = baseUrl,
            ["Local:BaseUrl"] = baseUrl + "/local/v1",
            ["GitHub:Token"] = GitHubToken,
            ["GitHub:BaseUrl"] = baseUrl + "/",
            ["Notion:Token"] = NotionToken,
            ["Notion:BaseUrl"] = baseUrl,
            ["Gmail:ClientId"] = GmailClientId,
            ["Gmail:ClientSecret"] = GmailClientSecret,
            ["Gmail:RefreshToken"] = GmailRefreshToken,
            ["Gmail:BaseUrl"] = baseUrl,
            ["Gmail:TokenUrl"] = baseUrl + "/token",
            ["Integrations:Resilience:Retry:Delay"] = "00:00:00.001",
            ["Integrations:Resilience:Retry:MaxRetryAttempts"] = "2",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values.Where(v => v.Value is not null)).Build();
        var logs = new CapturedLogs();
        var prompts = new PromptShelf();
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        collection.AddSingleton<IPromptLibrary>(prompts);
        services?.Invoke(collection);
        collection.AddIntegrations(configuration);
        if (connectorsFolder is not null)
        {
            collection.AddConnectors(configuration, connectorsFolder);
        }
        return new IntegrationHarness(collection.BuildServiceProvider(), logs, prompts);
    }

    public T Service<T>() where T : notnull => _services.GetRequiredService<T>();

    public IEnumerable<T> Services<T>() where T : notnull => _services.GetServices<T>();

    public IStepType Step(string name) => _services.GetServices<IStepType>().Single(t => t.Name == name);

    /// <summary>The Settings page's connection test of <paramref name="integration"/>, as AddIntegrations registers it.</summary>
    public AiOrchestra.Engine.Steps.Integrations.ConnectionCheck Check(string integration) =>
        _services.GetServices<AiOrchestra.Engine.Steps.Integrations.ConnectionCheck>().Single(c => c.Integration == integration);

    public static StepContext NewContext(List<string>? deltas = null) => new()
    {
        RunId = "run-1",
        StepId = "step",
        Attempt = 1,
        OwnerId = "owner-1",
        ReportDelta = text => deltas?.Add(text),
    };

    public Task<JsonNode?> RunAsync(string stepType, string action, JsonObject parameters, StepContext? context = null) =>
        Step(stepType).ExecuteAsync(new StepCall(action, parameters, context ?? NewContext()), CancellationToken.None);

    public async Task<StepFailedException> FailAsync(string stepType, string action, JsonObject parameters, StepContext? context = null) =>
        await Assert.ThrowsAsync<StepFailedException>(() => RunAsync(stepType, action, parameters, context));

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

/// <summary>Every log line written, with its exception, at every level.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{structured}] {exception}");
        }
    }
}

/// <summary>Stored prompt templates for the openai step's template_id, per owner.</summary>
internal sealed class PromptShelf : IPromptLibrary
{
    private readonly ConcurrentDictionary<(string Owner, string Id), PromptTemplate> _templates = new();

    public void Add(string ownerId, PromptTemplate template) => _templates[(ownerId, template.TemplateId)] = template;

    /// <summary>Called after each lookup with the owner and id: a test saves a new version there, as a person saving meanwhile would.</summary>
    public Action<string, string>? AfterFind { get; set; }

    public Task<PromptTemplate?> FindAsync(string ownerId, string templateId, CancellationToken cancellationToken)
    {
        var found = _templates.GetValueOrDefault((ownerId, templateId));
        AfterFind?.Invoke(ownerId, templateId);
        return Task.FromResult(found);
    }
}
