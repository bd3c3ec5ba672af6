using AiOrchestra.Web.Metrics;
using AiOrchestra.Web.Settings;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Agent;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Steps.Connectors;
using AiOrchestra.Engine.Steps.GitHub;
using AiOrchestra.Engine.Steps.Gmail;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Engine.Steps.Mcp;
using AiOrchestra.Engine.Steps.Notion;
using AiOrchestra.Engine.Steps.OpenAI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;

namespace AiOrchestra.Web.Integrations;

/// <summary>
/// Host wiring for the integration step types (openai, github, notion, gmail): their options, credentials and one HTTP
/// pipeline per provider — IHttpClientFactory with the standard resilience handler (retries with exponential backoff and
/// jitter on 408/429/5xx and network errors honouring Retry-After, attempt and total timeouts, circuit breaker).
/// </summary>
public static class IntegrationsSetup
{
    public static WebApplicationBuilder AddIntegrations(this WebApplicationBuilder builder)
    {
        builder.Services.AddIntegrations(builder.Configuration);
        return builder;
    }

    public static IServiceCollection AddIntegrations(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        // the clients count their calls (also on the command line, where nothing exports them)
        services.AddMetrics();
        services.TryAddSingleton<OperationMetrics>();
        // configuration (environment) first, then what was saved on the Settings page (absent on the command line)
        services.TryAddSingleton(sp =>
        {
            var store = sp.GetService<SecretStore>();
            var secrets = new IntegrationSecrets(configuration, key => store?.Get(key), sp.GetService<ConnectorSet>()?.CredentialKeys);
            if (store is not null)
            {
                store.Changed += secrets.Forget;
            }
            return secrets;
        });
        services.AddRedactedLogs();

        // The model providers of the LLM steps, one HTTP pipeline each. LLM answers take long: generous attempt and total
        // timeouts (the step's timeout_seconds can be shorter).
        services.Configure<AIOptions>(configuration.GetSection("AI"));
        services.Configure<OpenAIOptions>(configuration.GetSection("OpenAI"));
        services.Configure<AnthropicOptions>(configuration.GetSection("Anthropic"));
        services.Configure<LocalModelOptions>(configuration.GetSection("Local"));
        AddProviderClient(services, configuration, ChatProviders.OpenAIClientName, "OpenAI", TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15));
        AddProviderClient(services, configuration, ChatProviders.AnthropicClientName, "Anthropic", TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15));
        AddProviderClient(services, configuration, ChatProviders.LocalClientName, "Local", TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15));
        services.AddSingleton<ChatProviders>();
        services.AddSingleton<IStepType, OpenAIStep>();

        services.Configure<GitHubOptions>(configuration.GetSection("GitHub"));
        AddProviderClient(services, configuration, GitHubStep.HttpClientName, "GitHub", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(3));
        services.AddSingleton<IStepType, GitHubStep>();

        services.Configure<NotionOptions>(configuration.GetSection("Notion"));
        AddProviderClient(services, configuration, NotionStep.HttpClientName, "Notion", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(3));
        services.AddSingleton<IStepType, NotionStep>();

        services.Configure<GmailOptions>(configuration.GetSection("Gmail"));
        // One client for the API and its token endpoint: both are Google, both get the same pipeline.
        AddProviderClient(services, configuration, GmailStep.HttpClientName, "Gmail", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(3));
        services.AddSingleton<GmailAccessToken>();
        services.AddSingleton<IStepType, GmailStep>();

        // External MCP servers: a tool call may have effects, so the pipeline does not retry it; one limit for the call.
        services.AddHttpClient(McpStep.HttpClientName)
            .ConfigureHttpClient(http => http.Timeout = TimeSpan.FromMinutes(5))
            .AddHttpMessageHandler(() => new AttemptCountingHandler())
            .AddHttpMessageHandler(sp => new IntegrationCallsHandler("mcp", sp.GetRequiredService<OperationMetrics>()));
        services.AddSingleton(sp => new McpStep(
            sp.GetRequiredService<IHttpClientFactory>(), configuration, sp.GetRequiredService<IntegrationSecrets>(), sp.GetService<ILoggerFactory>()));
        services.AddSingleton<IStepType>(sp => sp.GetRequiredService<McpStep>());

        // the agent's single-step tools are the installed step types, itself among them: the catalog is read when needed
        services.AddSingleton<IStepType>(sp =>
        {
            var own = new Lazy<StepCatalog>(() => sp.GetService<StepCatalog>() ?? new StepCatalog(sp.GetServices<IStepType>()));
            return new AgentStep(sp.GetRequiredService<ChatProviders>(), () => own.Value, sp.GetRequiredService<McpStep>(),
                sp.GetService<IWorkflowTools>(), sp.GetService<IChildRuns>(), sp.GetRequiredService<TimeProvider>(),
                configuration.GetValue("Runs:MaxWorkflowDepth", SubWorkflows.DefaultMaxDepth));
        });

        // the Settings page's "Test connection", through the same clients and credentials as the steps
        services.AddSingleton<IIntegrationCheck, OpenAIConnectionCheck>();
        services.AddSingleton<IIntegrationCheck, AnthropicConnectionCheck>();
        services.AddSingleton<IIntegrationCheck, LocalModelConnectionCheck>();
        services.AddSingleton<IIntegrationCheck, GitHubConnectionCheck>();
        services.AddSingleton<IIntegrationCheck, NotionConnectionCheck>();
        services.AddSingleton<IIntegrationCheck, GmailConnectionCheck>();

        return services;
    }

    /// <summary>
    /// The named client for one provider. Defaults here, then <c>Integrations:Resilience</c>, then
    /// <c>&lt;Section&gt;:Resilience</c> (both bind <see cref="HttpStandardResilienceOptions"/>, e.g.
    /// <c>Integrations__Resilience__Retry__MaxRetryAttempts</c>).
    /// </summary>
    internal static void AddProviderClient(
        IServiceCollection services, IConfiguration configuration, string name, string section, TimeSpan attemptTimeout, TimeSpan totalTimeout)
    {
        var client = services.AddHttpClient(name)
            // The pipeline owns the time limits; HttpClient's own 100 s default would cut long LLM answers.
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddHttpMessageHandler(() => new ResilienceOutcomeHandler());
        var resilience = client.AddStandardResilienceHandler()
            .Configure(options =>
            {
                options.AttemptTimeout.Timeout = attemptTimeout;
                options.TotalRequestTimeout.Timeout = totalTimeout;
                // Polly requires the breaker's sampling window to be at least twice the attempt timeout.
                options.CircuitBreaker.SamplingDuration = attemptTimeout * 2;
            });
        // The library refuses to bind an empty section, so only sections that are there are applied.
        foreach (var overrides in new[] { configuration.GetSection("Integrations:Resilience"), configuration.GetSection($"{section}:Resilience") })
        {
            if (overrides.Exists())
            {
                resilience.Configure(overrides);
            }
        }
        // Inside the retry handler, so each attempt that actually goes out is counted.
        client.AddHttpMessageHandler(() => new AttemptCountingHandler());
        var provider = section.ToLowerInvariant();
        client.AddHttpMessageHandler(sp => new IntegrationCallsHandler(provider, sp.GetRequiredService<OperationMetrics>()));

        // Settings' "Test connection": one attempt under the check's own deadline, and one log line per failed check
        // (written by the page) instead of the pipeline's lines for every retry.
        services.AddHttpClient(ConnectionCheck.CheckClientName(name))
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
    }
}
