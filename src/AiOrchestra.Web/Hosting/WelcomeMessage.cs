using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AiOrchestra.Web.Hosting;

/// <summary>
/// Once the server listens: the address to open in a browser, and while there is no user yet, that the first visit
/// there creates the administrator.
/// </summary>
internal sealed class WelcomeMessage(IServer server, IServiceScopeFactory scopes, ILogger<WelcomeMessage> log) : IHostedLifecycleService
{
    // runs after every hosted service has started, the server (which binds the ports) included
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        if (server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is not { } address)
        {
            return; // an in-memory test server listens nowhere
        }
        var url = Browsable(address);
        await using var scope = scopes.CreateAsyncScope();
        if (await StoreStartup.HasUsersAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), cancellationToken))
        {
            log.LogInformation("AI Orchestra is ready: open {Url} in a browser.", url);
        }
        else
        {
            log.LogInformation(
                "AI Orchestra is ready: open {Url} in a browser. There is no user yet: the first visit creates the administrator.", url);
        }
    }

    /// <summary>An address to type in a browser: a wildcard host (all interfaces) becomes localhost.</summary>
    internal static string Browsable(string address)
    {
        var uri = new Uri(address.Replace("://+:", "://localhost:").Replace("://*:", "://localhost:"));
        if (uri.Host is "0.0.0.0" or "[::]")
        {
            uri = new UriBuilder(uri) { Host = "localhost" }.Uri;
        }
        return uri.GetLeftPart(UriPartial.Authority);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
