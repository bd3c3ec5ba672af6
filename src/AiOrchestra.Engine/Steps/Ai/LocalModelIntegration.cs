using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Engine.Steps.Ai;

/// <summary>A model served on your own machine or network through an OpenAI-compatible endpoint: the LLM steps' <c>local</c> provider.</summary>
public static class LocalModelIntegration
{
    public const string ApiKey = "Local:ApiKey";
    public const string BaseUrl = "Local:BaseUrl";

    public static readonly Integration Declaration = new("local", "Local model (OpenAI-compatible)", "Local")
    {
        Credentials = [new(ApiKey, "API key (if the server needs one)")],
        Settings =
        [
            new(BaseUrl, "Server", new LocalModelOptions().BaseUrl),
            new("Local:Model", "Model when a step names none", new LocalModelOptions().Model, IsAddress: false),
        ],
        CalledAs = "the local model server",
        HttpClient = IntegrationHttpClient.ForModels(ChatProviders.LocalClientName),
        // GET {Local:BaseUrl}/models, with the key only when one is set
        CheckConnection = (call, _) => Task.FromResult(ConnectionCheckCall.Get(
            ConnectionCheckCall.Address(BaseUrl, call.Options<LocalModelOptions>().BaseUrl, "/models"), call.Secrets.Find(ApiKey))),
        AddServices = (services, configuration) => services.Configure<LocalModelOptions>(configuration.GetSection("Local")),
    };
}
