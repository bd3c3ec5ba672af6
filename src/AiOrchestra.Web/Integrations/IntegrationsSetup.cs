using AiOrchestra.Web.Metrics;
using AiOrchestra.Web.Settings;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Agent;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Engine.Steps.Mcp;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;

namespace AiOrchestra.Web.Integrations;

/// <summary>
/// Host wiring for the integrations (each declared once in its own folder, listed in <see cref="BuiltInIntegrations"/>)
/// and the LLM, agent and MCP steps: their options, credentials and one HTTP pipeline per provider — IHttpClientFactory
/// with the standard resilience handler (retries with exponential backoff and jitter on 408/429/5xx and network errors
/// honouring Retry-After, attempt and total timeouts, circuit breaker).
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
            var secrets = new IntegrationSecrets(configuration, key => store?.Get(key), sp.GetServices<Integration>());
            if (store is not null)
            {
                store.Changed += secrets.Forget;
            }
            return secrets;
        });
        services.AddRedactedLogs();

        // The model providers behind the LLM steps (openai, agent), whichever integration declares them.
        services.Configure<AIOptions>(configuration.GetSection("AI"));
        services.AddSingleton<ChatProviders>();
        foreach (var integration in BuiltInIntegrations.All)
        {
            services.AddIntegration(integration, configuration);
        }

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

        return services;
    }

    /// <summary>
    /// Wires one declared integration: the declaration itself (Settings, the secret store and redaction read it), its
    /// services, its named HttpClient with the resilience pipeline, and its connection check. A name may be declared once.
    /// </summary>
    public static IServiceCollection AddIntegration(this IServiceCollection services, Integration integration, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(Integration) && d.ImplementationInstance is Integration known && known.Name == integration.Name))
        {
            throw new InvalidOperationException($"The integration '{integration.Name}' is declared twice; give each integration its own name.");
        }
        if (integration.CheckConnection is not null && integration.HttpClient is null)
        {
            throw new InvalidOperationException($"The integration '{integration.Name}' declares a connection check but no HttpClient to send it with.");
        }
        services.AddSingleton(integration);
        integration.AddServices?.Invoke(services, configuration);
        if (integration.HttpClient is { } http)
        {
            AddProviderClient(services, configuration, http.Name, integration.Section, http.AttemptTimeout, http.TotalTimeout);
        }
        if (integration.CheckConnection is not null)
        {
            // the Settings page's "Test connection", through the same credentials as the steps
            services.AddSingleton(sp => new ConnectionCheck(
                integration, sp, sp.GetRequiredService<IntegrationSecrets>(), sp.GetRequiredService<IHttpClientFactory>()));
        }
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
