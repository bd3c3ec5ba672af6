using AiOrchestra.Web.Hosting;

namespace AiOrchestra.Web.Triggers;

public static class TriggersExtensions
{
    /// <summary>Webhooks (<c>/hooks/{token}</c>), the scheduler and the poller (<c>Triggers</c> section).</summary>
    public static WebApplicationBuilder AddTriggers(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TriggerOptions>().BindConfiguration(TriggerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebhookRoutes>();
        services.AddSingleton<TriggerStore>();
        services.AddSingleton<WebhookDeliveries>();
        services.AddSingleton<TriggerWorkflows>();
        services.AddScoped<TriggerPanel>();
        services.AddSingleton<TriggerScheduler>();
        services.AddHostedServiceInBackground<TriggerScheduler>();
        services.AddSingleton<TriggerPoller>();
        services.AddHostedServiceInBackground<TriggerPoller>();
        return builder;
    }

    public static WebApplication MapTriggers(this WebApplication app)
    {
        app.MapWebhooks();
        app.MapTriggersApi();
        return app;
    }
}
