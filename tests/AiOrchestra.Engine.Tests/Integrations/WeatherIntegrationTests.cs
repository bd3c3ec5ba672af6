using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Engine.Tests.Integrations.Weather;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiOrchestra.Engine.Tests.Integrations;

/// <summary>An integration's own tests in the engine's test project: its declaration, step and check, without the web host.</summary>
public sealed class WeatherIntegrationTests : IAsyncLifetime
{
    private const string Key = "wx-TEST-KEY-5c1d9e77";
    private WebApplication _server = null!;
    private string _url = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapGet("/ping", (HttpRequest request) => request.Headers["X-Api-Key"] == Key ? Results.Ok() : Results.Json(new { message = "bad key" }, statusCode: 401));
        _server.MapGet("/forecast", (HttpRequest request, string city) => request.Headers["X-Api-Key"] == Key
            ? Results.Json(new { city, summary = "rain" })
            : Results.Json(new { message = "bad key " + request.Headers["X-Api-Key"] }, statusCode: 401));
        await _server.StartAsync();
        _url = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Services(string? key)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [WeatherIntegration.ApiKey] = key,
            [WeatherIntegration.Account] = "team-north",
            [WeatherIntegration.BaseUrl] = _url,
        }).Build();
        var services = new ServiceCollection();
        services.AddHttpClient(WeatherIntegration.ClientName);
        services.AddSingleton(new IntegrationSecrets(configuration, integrations: [.. BuiltInIntegrations.All, WeatherIntegration.Declaration]));
        WeatherIntegration.Declaration.AddServices!(services, configuration);
        return services.BuildServiceProvider();
    }

    private static StepCall Forecast(string city) =>
        new("forecast", new JsonObject { ["city"] = city }, new StepContext { RunId = "run-1", StepId = "fc", Attempt = 1, OwnerId = "owner-1" });

    [Fact]
    public void Its_credentials_are_read_stored_and_redacted_by_what_it_declares()
    {
        using var services = Services(Key);
        var secrets = services.GetRequiredService<IntegrationSecrets>();

        Assert.Contains(WeatherIntegration.ApiKey, secrets.AllKeys);
        Assert.Contains(WeatherIntegration.Account, secrets.AllKeys);
        // the key is secret, the account name is not
        Assert.Equal("key [redacted: Weather:ApiKey] of team-north", secrets.Scrub($"key {Key} of team-north"));
    }

    [Fact]
    public async Task Its_step_calls_the_service_with_the_key_and_a_refused_key_names_the_setting_to_check()
    {
        using (var services = Services(Key))
        {
            var step = services.GetServices<IStepType>().Single(s => s.Name == "weather");
            var output = await step.ExecuteAsync(Forecast("Oslo"), CancellationToken.None);
            Assert.Equal("""{"city":"Oslo","summary":"rain"}""", output!.ToJsonString());
        }
        using (var services = Services("wx-WRONG-KEY-0000"))
        {
            var step = services.GetServices<IStepType>().Single(s => s.Name == "weather");
            var failure = await Assert.ThrowsAsync<StepFailedException>(() => step.ExecuteAsync(Forecast("Oslo"), CancellationToken.None));
            Assert.Equal("Weather service answered 401 Unauthorized: bad key [redacted: Weather:ApiKey] (check the Weather:ApiKey setting)", failure.Message);
        }
    }

    [Fact]
    public async Task Its_connection_check_answers_connected_or_what_to_fix()
    {
        foreach (var (key, expected) in new[]
        {
            (Key, null),
            ("wx-WRONG-KEY-0000", "Weather service answered 401 Unauthorized: bad key (check the Weather:ApiKey setting)"),
            (null, "Weather:ApiKey is not set: set the environment variable Weather__ApiKey or save it on the Settings page"),
        })
        {
            using var services = Services(key);
            var check = new ConnectionCheck(WeatherIntegration.Declaration, services, services.GetRequiredService<IntegrationSecrets>(), services.GetRequiredService<IHttpClientFactory>());
            Assert.Equal(expected, await check.TestAsync(CancellationToken.None));
        }
    }
}
