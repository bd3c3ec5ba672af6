using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Engine.Tests.Integrations.Weather;

/// <summary><c>weather</c>: <c>forecast</c> {city} is <c>GET {Weather:BaseUrl}/forecast?city=…</c> with the key, its JSON the output.</summary>
public sealed class WeatherStep(IHttpClientFactory clients, IOptions<WeatherOptions> options, IntegrationSecrets secrets) : IStepType
{
    private readonly Provider _provider = WeatherIntegration.Declaration.Provider(secrets);

    public string Name => "weather";

    public string Description => "Read the forecast of a city from the weather service.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("forecast", "The forecast of one city.", [new("city", ParameterType.String, true, "The city, e.g. Oslo.")]),
    ];

    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        if (call.Action != "forecast")
        {
            throw new StepFailedException($"weather has no action '{call.Action}'");
        }
        var city = StepParameters.RequiredText(call.Parameters, "city");
        var key = secrets.Require(WeatherIntegration.ApiKey);
        var address = ConnectionCheckCall.Address(WeatherIntegration.BaseUrl, options.Value.BaseUrl, "/forecast?city=" + Uri.EscapeDataString(city));
        return _provider.RunAsync<JsonNode?>(call.Context, async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, address);
            request.Headers.Add("X-Api-Key", key);
            using var response = await clients.CreateClient(WeatherIntegration.ClientName).SendAsync(request, cancellationToken);
            return await _provider.ReadJsonAsync(response, cancellationToken);
        }, cancellationToken);
    }
}
