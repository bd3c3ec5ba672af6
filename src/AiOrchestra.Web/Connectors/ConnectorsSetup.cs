using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Connectors;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Web.Integrations;

namespace AiOrchestra.Web.Connectors;

/// <summary>
/// Step types from connector files: every <c>*.json</c> of <c>Connectors:Folder</c> (default <c>data/connectors</c>)
/// describing an HTTP API becomes a step type, its credentials kept like the integrations'. Registered after the built-in
/// step types, so a connector cannot replace one; a file that does not load is reported at start-up and on Settings.
/// </summary>
public static partial class ConnectorsSetup
{
    public const string DefaultFolder = "data/connectors";

    public static WebApplicationBuilder AddConnectors(this WebApplicationBuilder builder)
    {
        var folder = builder.Configuration["Connectors:Folder"] is { Length: > 0 } configured ? configured : DefaultFolder;
        builder.Services.AddConnectors(builder.Configuration, Path.Combine(builder.Environment.ContentRootPath, folder));
        builder.Services.AddHostedService<ConnectorReport>();
        return builder;
    }

    /// <summary>Reads <paramref name="folder"/> now and registers a step type per connector that loaded.</summary>
    public static IServiceCollection AddConnectors(this IServiceCollection services, IConfiguration configuration, string folder)
    {
        var connectors = ConnectorSet.Load(folder);
        // a connector named like a declared integration would share its Settings section and checks: it is left out
        var integrations = services.Select(d => d.ImplementationInstance).OfType<Integration>().Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        if (connectors.Connectors.Where(c => integrations.Contains(c.Name)).ToList() is { Count: > 0 } taken)
        {
            connectors = connectors with
            {
                Connectors = connectors.Connectors.Except(taken).ToList(),
                Problems = [.. connectors.Problems, .. taken.Select(c =>
                    $"{Path.GetFileName(c.File)}: connector: \"{c.Name}\" is already the name of an integration; choose another name")],
            };
        }
        services.AddSingleton(connectors);
        IntegrationsSetup.AddProviderClient(services, configuration, ConnectorStep.HttpClientName, "Connectors", TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(3));
        foreach (var connector in connectors.Connectors)
        {
            services.AddIntegration(connector.Integration, configuration);
            services.AddSingleton<IStepType>(sp => new ConnectorStep(
                connector, sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<IntegrationSecrets>(), configuration, sp.GetService<TimeProvider>()));
        }
        return services;
    }

    /// <summary>Says at start-up which connectors loaded and why any did not (the app starts either way).</summary>
    private sealed partial class ConnectorReport(ConnectorSet connectors, StepCatalog catalog, ILogger<ConnectorReport> log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (connectors.Connectors.Count > 0)
            {
                LogLoaded(connectors.Connectors.Count, connectors.Folder, string.Join(", ", connectors.Connectors.Select(c => c.Name)));
            }
            foreach (var problem in connectors.Problems.Concat(catalog.Refused.Select(r => r.Reason)))
            {
                LogProblem(problem);
            }
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "{Count} connector(s) loaded from {Folder}: {Names}")]
        private partial void LogLoaded(int count, string folder, string names);

        [LoggerMessage(Level = LogLevel.Warning, Message = "A connector was not loaded: {Problem}")]
        private partial void LogProblem(string problem);
    }
}
