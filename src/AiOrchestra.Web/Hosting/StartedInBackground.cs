using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AiOrchestra.Web.Hosting;

/// <summary>
/// A background service started when <see cref="BackgroundStart"/> opens instead of with the host. It stops where it
/// was registered (the stop order is unchanged), and one whose work fails stops the app with a critical log entry, as
/// the host does for a failed <see cref="BackgroundService"/> (the host sees only this wrapper).
/// </summary>
internal sealed partial class StartedInBackground<TService>(
    TService service, BackgroundStart start, IHostApplicationLifetime lifetime, ILogger<StartedInBackground<TService>> log)
    : IHostedLifecycleService where TService : class, IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _started;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The app listens: the service starts once the first request is answered (or the grace has passed).</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _started = StartWhenOpenAsync();
        return Task.CompletedTask;
    }

    private async Task StartWhenOpenAsync()
    {
        await start.WaitAsync(_stopping.Token);
        await service.StartAsync(CancellationToken.None);
        if (service is BackgroundService { ExecuteTask: { } work })
        {
            _ = StopAppIfFailedAsync(work);
        }
    }

    private async Task StopAppIfFailedAsync(Task work)
    {
        try
        {
            await work;
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            LogFailed(e, typeof(TService).Name);
            lifetime.StopApplication();
        }
        catch (Exception)
        {
            // stopping: what StopAsync awaits reports it
        }
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_started is null)
        {
            return; // the host's start failed before the app listened
        }
        await _stopping.CancelAsync();
        try
        {
            await _started;
        }
        catch (OperationCanceledException)
        {
            return; // stopped before it started
        }
        await service.StopAsync(cancellationToken);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Critical, Message = "The background service {Service} failed; the app stops (a bug: see the exception)")]
    private partial void LogFailed(Exception exception, string service);
}

public static class StartedInBackgroundExtensions
{
    /// <summary>
    /// Registers the singleton <typeparamref name="TService"/> as a hosted service that starts once the app has
    /// answered its first request (see <see cref="BackgroundStart"/>), not before the app listens.
    /// </summary>
    public static IServiceCollection AddHostedServiceInBackground<TService>(this IServiceCollection services)
        where TService : class, IHostedService
    {
        services.TryAddSingleton(_ => new BackgroundStart(TimeProvider.System));
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, BackgroundStart.OnFirstResponse>());
        services.AddHostedService(sp => ActivatorUtilities.CreateInstance<StartedInBackground<TService>>(sp, sp.GetRequiredService<TService>()));
        return services;
    }
}
