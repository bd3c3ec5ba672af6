using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Tests.Integrations.Weather;
using AiOrchestra.Web.Integrations;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// An integration declared only by its folder (the engine tests' weather service) and registered with one line appears
/// everywhere the built-in ones do: on Settings with its credentials (the secret masked), in the connection checks, in
/// the secret store and redaction, and in DI with its step type and its HTTP client's resilience pipeline.
/// </summary>
public sealed class DeclaredIntegrationTests : IAsyncLifetime
{
    private const string Key = "wx-TEST-KEY-5c1d9e77";
    private FakeServer _weather = null!;
    private WeatherApp _app = null!;
    private int _forecasts;

    public async Task InitializeAsync()
    {
        _weather = await FakeServer.StartAsync((request, context) =>
        {
            var key = request.Header("X-Api-Key");
            if (key != Key)
            {
                return FakeServer.Json(context, 401, """{"message": "unknown key"}""");
            }
            if (request.Path == "/forecast" && Interlocked.Increment(ref _forecasts) == 1)
            {
                return FakeServer.Json(context, 503, """{"message": "busy"}""");
            }
            // the service echoes the key it was sent: a run's stored output must not show it
            return FakeServer.Json(context, 200, new JsonObject { ["city"] = context.Request.Query["city"].ToString(), ["summary"] = "rain", ["seen_key"] = key }.ToJsonString());
        });
        _app = new WeatherApp(_weather.Url);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _weather.DisposeAsync();
    }

    [Fact]
    public async Task Settings_shows_its_credentials_stores_its_key_and_tests_its_connection()
    {
        using var browser = await _app.BrowserAsync();

        var before = HtmlClient.Parse(await browser.GetStringAsync("/Settings")).GetElementById("integration-weather")!;
        Assert.Equal("Weather service", before.QuerySelector("h2")!.TextContent);
        Assert.Contains("missing", Row(before, WeatherIntegration.ApiKey));
        // a credential not declared secret is shown as it is; the server as the steps use it
        Assert.Contains("team-north", Row(before, WeatherIntegration.Account));
        Assert.Contains(_weather.Url, Row(before, WeatherIntegration.BaseUrl));
        Assert.Equal([WeatherIntegration.ApiKey, WeatherIntegration.Account], before.QuerySelectorAll("select[name=Key] option").Select(o => o.GetAttribute("value")));

        var unset = await TestAsync(browser);
        Assert.Equal("Failed: Weather:ApiKey is not set: set the environment variable Weather__ApiKey or save it on the Settings page", unset);

        var stored = await browser.PostFormAsync("/Settings?handler=Save", new() { ["Key"] = WeatherIntegration.ApiKey, ["Value"] = Key, ["Scope"] = "instance" }, formPage: "/Settings");
        Assert.Contains("Stored Weather:ApiKey.", WebUtility.HtmlDecode(await stored.Content.ReadAsStringAsync()));
        // kept like every other secret: encrypted in data/secrets.json under its configuration key
        var file = await File.ReadAllTextAsync(Path.Combine(_app.Folder, "secrets.json"));
        Assert.Contains("\"Weather:ApiKey\"", file);
        Assert.DoesNotContain(Key, file);

        var page = await browser.GetStringAsync("/Settings");
        Assert.DoesNotContain(Key, page);
        var after = HtmlClient.Parse(page).GetElementById("integration-weather")!;
        Assert.Contains("stored", Row(after, WeatherIntegration.ApiKey));
        Assert.Contains("••••••••9e77", Row(after, WeatherIntegration.ApiKey));

        Assert.Equal("Connected.", await TestAsync(browser));
        Assert.Equal(Key, _weather.Received.Last(r => r.Path == "/ping").Header("X-Api-Key"));
    }

    [Fact]
    public async Task Its_step_runs_through_its_resilient_client_and_its_key_is_redacted_from_the_output()
    {
        using var api = await _app.AdminAsync();
        var saved = await api.PostAsync("/api/workflows", ApiFactory.Json("""
            {"workflow_id": "forecast", "name": "Forecast",
             "steps": [{"step_id": "fc", "step_type": "weather", "action": "forecast", "parameters": {"city": "Oslo"}}]}
            """));
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        _app.Services.GetRequiredService<AiOrchestra.Web.Settings.SecretStore>().Set(WeatherIntegration.ApiKey, Key);

        var result = await IntegrationApp.ExecuteAsync(api, "forecast");

        Assert.True((bool)result["success"]!, result.ToJsonString());
        Assert.Equal("""{"city":"Oslo","summary":"rain","seen_key":"[redacted: Weather:ApiKey]"}""", result["outputs"]!["fc"]!.ToJsonString());
        // the 503 was retried by the standard resilience handler of the client the declaration named
        Assert.Equal(2, (int)result["steps"]![0]!["attempts"]!);
        Assert.DoesNotContain(Key, result.ToJsonString());
    }

    private static string Row(AngleSharp.Dom.IElement section, string key) =>
        section.QuerySelectorAll("tr").Single(row => row.QuerySelector("code")?.TextContent == key).TextContent;

    private static async Task<string> TestAsync(HttpClient browser)
    {
        var response = await browser.PostFormAsync("/Settings?handler=Test", new() { ["Integration"] = "weather" }, formPage: "/Settings");
        return HtmlClient.Parse(await response.Content.ReadAsStringAsync()).QuerySelector("#test-weather")!.TextContent.Trim();
    }
}
