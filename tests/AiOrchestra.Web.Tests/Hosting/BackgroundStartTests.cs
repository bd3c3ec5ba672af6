using AiOrchestra.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Hosting;

/// <summary>
/// The background work no request waits for (triggers, alerts, history clean-up, due waits) starts once the app has
/// answered its first request, or a second after it listens without one, and stops as before.
/// </summary>
[Trait("Provider", "sqlite")] // no database: once, in the SQLite pass
public sealed class BackgroundStartTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_background_service_starts_after_the_first_response_not_before()
    {
        var time = new FakeTimeProvider();
        await using var app = Build(time, new Probe());
        var probe = app.Services.GetRequiredService<Probe>();
        await app.StartAsync();

        Assert.False(probe.Started.Task.IsCompleted);
        var response = await app.GetTestClient().GetAsync("/");

        response.EnsureSuccessStatusCode();
        await probe.Started.Task.WaitAsync(Timeout);
        await app.StopAsync();
        Assert.True(probe.Stopped);
    }

    [Fact]
    public async Task Without_a_request_it_starts_when_the_grace_has_passed()
    {
        var time = new FakeTimeProvider();
        await using var app = Build(time, new Probe());
        var probe = app.Services.GetRequiredService<Probe>();
        await app.StartAsync();

        time.Advance(BackgroundStart.Grace - TimeSpan.FromMilliseconds(1));
        Assert.False(probe.Started.Task.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        await probe.Started.Task.WaitAsync(Timeout);
        await app.StopAsync();
    }

    [Fact]
    public async Task An_app_stopped_before_its_first_request_stops_without_starting_it()
    {
        await using var app = Build(new FakeTimeProvider(), new Probe());
        var probe = app.Services.GetRequiredService<Probe>();
        await app.StartAsync();

        await app.StopAsync().WaitAsync(Timeout);

        Assert.False(probe.Started.Task.IsCompleted);
        Assert.False(probe.Stopped);
    }

    [Fact]
    public async Task A_background_service_that_fails_stops_the_app_as_the_host_would()
    {
        await using var app = Build(new FakeTimeProvider(), new Probe { Fails = true });
        await app.StartAsync();

        await app.GetTestClient().GetAsync("/");

        var stopping = new TaskCompletionSource();
        app.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        await stopping.Task.WaitAsync(Timeout);
    }

    private static WebApplication Build(FakeTimeProvider time, Probe probe)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        // the app's own registers the system clock; registered first, the test's clock is the one used
        builder.Services.AddSingleton(new BackgroundStart(time));
        builder.Services.AddSingleton(probe);
        builder.Services.AddHostedServiceInBackground<Probe>();
        var app = builder.Build();
        app.MapGet("/", () => "ok");
        return app;
    }

    private sealed class Probe : BackgroundService
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Fails { get; init; }

        public bool Stopped { get; private set; }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            Started.TrySetResult();
            if (Fails)
            {
                throw new InvalidOperationException("the probe fails");
            }
            await Task.Delay(System.Threading.Timeout.Infinite, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        public override async Task StopAsync(CancellationToken cancellationToken)
        {
            Stopped = true;
            await base.StopAsync(cancellationToken);
        }
    }
}
