using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Outbound;

namespace AiOrchestra.Web.Plugins;

/// <summary>
/// Step types from assemblies in <c>Plugins:Folder</c> (default <c>plugins/</c>), registered after the built-in ones and
/// the connectors so a plugin cannot replace them. What did not load is logged at start-up and shown on Settings.
/// </summary>
public static partial class PluginsSetup
{
    public const string DefaultFolder = "plugins";
    public const string HttpClientName = "plugins";

    public static WebApplicationBuilder AddPlugins(this WebApplicationBuilder builder)
    {
        var folder = builder.Configuration["Plugins:Folder"] is { Length: > 0 } configured ? configured : DefaultFolder;
        builder.Services.AddPlugins(PluginSet.Load(Path.Combine(builder.Environment.ContentRootPath, folder)));
        builder.Services.AddHostedService<PluginReport>();
        return builder;
    }

    public static IServiceCollection AddPlugins(this IServiceCollection services, PluginSet plugins)
    {
        services.AddSingleton(plugins);
        // plugins call addresses typed into workflows: every connection passes the outbound policy
        services.AddHttpClient(HttpClientName).UseOutboundPolicy();
        foreach (var (plugin, step) in plugins.Steps)
        {
            services.AddSingleton<IStepType>(sp => new PluginStep(plugin, step, sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName)));
        }
        return services;
    }

    private sealed partial class PluginReport(PluginSet plugins, ILogger<PluginReport> log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (plugins.Steps.Count > 0)
            {
                LogLoaded(plugins.Steps.Count, plugins.Folder, string.Join(", ", plugins.Steps.Select(s => $"{s.Step.Name} ({s.Plugin})")));
            }
            foreach (var problem in plugins.Problems)
            {
                LogProblem(problem);
            }
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "{Count} plugin step type(s) loaded from {Folder}: {Names}")]
        private partial void LogLoaded(int count, string folder, string names);

        [LoggerMessage(Level = LogLevel.Warning, Message = "A plugin was not loaded: {Problem}")]
        private partial void LogProblem(string problem);
    }
}
