using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Engine.Tests.Integrations.Weather;

/// <summary>
/// A made-up weather service, declared as an integration exactly as the built-in ones are (this folder and nothing
/// else). The web tests register it with one line and find it on Settings, in the checks, the secret store and DI.
/// </summary>
public static class WeatherIntegration
{
    public const string ApiKey = "Weather:ApiKey";
    public const string Account = "Weather:Account";
    public const string BaseUrl = "Weather:BaseUrl";
    public const string ClientName = "weather";

    public static readonly Integration Declaration = new("weather", "Weather service", "Weather")
    {
        Credentials = [new(ApiKey, "API key"), new(Account, "Account name", Secret: false)],
        Settings = [new(BaseUrl, "Server", new WeatherOptions().BaseUrl)],
        CheckedCredential = ApiKey,
        HttpClient = new(ClientName, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(20)),
        // GET {Weather:BaseUrl}/ping with the key
        CheckConnection = (call, _) =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, ConnectionCheckCall.Address(BaseUrl, call.Options<WeatherOptions>().BaseUrl, "/ping"));
            request.Headers.Add("X-Api-Key", call.Secrets.Require(ApiKey));
            return Task.FromResult(request);
        },
        AddServices = (services, configuration) =>
        {
            services.Configure<WeatherOptions>(configuration.GetSection("Weather"));
            services.AddSingleton<IStepType, WeatherStep>();
        },
    };
}

/// <summary>The <c>Weather</c> configuration section.</summary>
public sealed class WeatherOptions
{
    public string BaseUrl { get; set; } = "https://weather.example";
}
