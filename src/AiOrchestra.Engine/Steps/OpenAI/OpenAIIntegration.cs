using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Engine.Steps.OpenAI;

/// <summary>OpenAI or any OpenAI-compatible server: the <c>openai</c> step type and the LLM steps' <c>openai</c> provider.</summary>
public static class OpenAIIntegration
{
    public const string ApiKey = "OpenAI:ApiKey";
    public const string BaseUrl = "OpenAI:BaseUrl";

    public static readonly Integration Declaration = new("openai", "OpenAI", "OpenAI")
    {
        Credentials = [new(ApiKey, "API key")],
        Settings =
        [
            new(BaseUrl, "Server", new OpenAIOptions().BaseUrl),
            new("OpenAI:Model", "Model when a step names none", new OpenAIOptions().Model, IsAddress: false),
        ],
        HttpClient = IntegrationHttpClient.ForModels(ChatProviders.OpenAIClientName),
        // GET {OpenAI:BaseUrl}/models with the API key
        CheckConnection = (call, _) => Task.FromResult(ConnectionCheckCall.Get(
            ConnectionCheckCall.Address(BaseUrl, call.Options<OpenAIOptions>().BaseUrl, "/models"), call.Secrets.Require(ApiKey))),
        AddServices = (services, configuration) =>
        {
            services.Configure<OpenAIOptions>(configuration.GetSection("OpenAI"));
            services.AddSingleton<IStepType, OpenAIStep>();
        },
    };
}
