using AiOrchestra.Web.Hosting;
using AiOrchestra.Web.Outbound;

namespace AiOrchestra.Web.Alerts;

public static class AlertsExtensions
{
    /// <summary>Alert channels and rules, evaluated and delivered in the background (<c>Alerts:*</c>, checked at start-up).</summary>
    public static WebApplicationBuilder AddAlerts(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // webhook addresses are typed by users: the outbound policy applies, and the sender's own deadline
        services.AddHttpClient(AlertSender.HttpClientName).UseOutboundPolicy()
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton<AlertSignals>();
        services.AddSingleton<AlertSender>();
        services.AddSingleton<AlertRateLimit>();
        services.AddSingleton<AlertDelivery>();
        services.AddHostedServiceInBackground<AlertDelivery>();
        services.AddSingleton<AlertWatch>();
        services.AddHostedServiceInBackground<AlertWatch>();
        return builder;
    }
}
