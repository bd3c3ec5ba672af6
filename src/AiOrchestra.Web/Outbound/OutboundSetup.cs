using AiOrchestra.Engine.Outbound;

namespace AiOrchestra.Web.Outbound;

/// <summary>
/// The outbound policy for addresses users type (<see cref="OutboundPolicy"/>), built from <c>Outbound:Allow</c>.
/// Integrations' base URLs, set by whoever runs the app, are trusted and do not use it.
/// </summary>
public static class OutboundSetup
{
    public const string AllowSection = "Outbound:Allow";

    public static WebApplicationBuilder AddOutbound(this WebApplicationBuilder builder)
    {
        // built now, so a wrong entry stops the start with a message naming it
        builder.Services.AddSingleton(new OutboundPolicy(AllowList(builder.Configuration)));
        return builder;
    }

    /// <summary>
    /// Every connection of this client passes the policy, and it follows no redirects itself (the caller follows them,
    /// dropping credentials on another host). For every client that calls an address a user typed: the http step,
    /// connectors, alert webhooks.
    /// </summary>
    public static IHttpClientBuilder UseOutboundPolicy(this IHttpClientBuilder client) =>
        client.ConfigurePrimaryHttpMessageHandler(services => services.GetRequiredService<OutboundPolicy>().CreateHandler());

    /// <summary>
    /// <c>Outbound__Allow=127.0.0.1,10.0.0.0/8,intranet.example</c> (commas or spaces between entries), or a list
    /// (<c>Outbound__Allow__0</c>, <c>Outbound__Allow__1</c>, … or a JSON array in appsettings.json).
    /// </summary>
    private static IEnumerable<string> AllowList(IConfiguration configuration)
    {
        var section = configuration.GetSection(AllowSection);
        return new[] { section.Value }.Concat(section.GetChildren().Select(c => c.Value))
            .SelectMany(value => (value ?? "").Split([',', ';', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
    }
}
