using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Engine.Steps.Ai;

/// <summary>Anthropic's Messages API: the LLM steps' <c>anthropic</c> provider.</summary>
public static class AnthropicIntegration
{
    public const string ApiKey = "Anthropic:ApiKey";
    public const string BaseUrl = "Anthropic:BaseUrl";

    public static readonly Integration Declaration = new("anthropic", "Anthropic", "Anthropic")
    {
        Credentials = [new(ApiKey, "API key")],
        Settings =
        [
            new(BaseUrl, "Server", new AnthropicOptions().BaseUrl),
            new("Anthropic:Model", "Model when a step names none", new AnthropicOptions().Model, IsAddress: false),
        ],
        HttpClient = IntegrationHttpClient.ForModels(ChatProviders.AnthropicClientName),
        // GET {Anthropic:BaseUrl}/v1/models with the API key and API version, as the Messages API is called
        CheckConnection = (call, _) =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, ConnectionCheckCall.Address(BaseUrl, call.Options<AnthropicOptions>().BaseUrl, "/v1/models"));
            request.Headers.Add("x-api-key", call.Secrets.Require(ApiKey));
            request.Headers.Add("anthropic-version", "2023-06-01");
            return Task.FromResult(request);
        },
        AddServices = (services, configuration) => services.Configure<AnthropicOptions>(configuration.GetSection("Anthropic")),
    };
}
