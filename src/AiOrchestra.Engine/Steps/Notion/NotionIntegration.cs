using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Engine.Steps.Notion;

/// <summary>Notion: the <c>notion</c> step type.</summary>
public static class NotionIntegration
{
    public const string Token = "Notion:Token";
    public const string BaseUrl = "Notion:BaseUrl";

    public static readonly Integration Declaration = new("notion", "Notion", "Notion")
    {
        Credentials = [new(Token, "Token")],
        Settings = [new(BaseUrl, "Server", new NotionOptions().BaseUrl)],
        HttpClient = IntegrationHttpClient.ForApi(NotionStep.HttpClientName),
        // GET /v1/users/me (the integration's bot user) with the token and API version
        CheckConnection = (call, _) =>
        {
            var options = call.Options<NotionOptions>();
            var request = ConnectionCheckCall.Get(ConnectionCheckCall.Address(BaseUrl, options.BaseUrl, "/v1/users/me"), call.Secrets.Require(Token));
            request.Headers.Add("Notion-Version", options.Version);
            return Task.FromResult(request);
        },
        AddServices = (services, configuration) =>
        {
            services.Configure<NotionOptions>(configuration.GetSection("Notion"));
            services.AddSingleton<IStepType, NotionStep>();
        },
    };
}
