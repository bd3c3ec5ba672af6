using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Engine.Steps.Gmail;

/// <summary>Gmail through its REST API with OAuth 2.0 (a refresh token exchanged at the token endpoint): the <c>gmail</c> step type.</summary>
public static class GmailIntegration
{
    public const string ClientId = "Gmail:ClientId";
    public const string ClientSecret = "Gmail:ClientSecret";
    public const string RefreshToken = "Gmail:RefreshToken";
    public const string BaseUrl = "Gmail:BaseUrl";

    public static readonly Integration Declaration = new("gmail", "Gmail", "Gmail")
    {
        Credentials = [new(ClientId, "OAuth client id"), new(ClientSecret, "OAuth client secret"), new(RefreshToken, "Refresh token")],
        Settings = [new(BaseUrl, "Server", new GmailOptions().BaseUrl), new("Gmail:TokenUrl", "Token endpoint", new GmailOptions().TokenUrl)],
        // One client for the API and its token endpoint: both are Google, both get the same pipeline.
        HttpClient = IntegrationHttpClient.ForApi(GmailStep.HttpClientName),
        // the refresh token exchanged at Gmail:TokenUrl, then GET users/me/profile with the access token
        CheckConnection = async (call, cancellationToken) =>
        {
            var address = ConnectionCheckCall.Address(BaseUrl, call.Options<GmailOptions>().BaseUrl, "/gmail/v1/users/me/profile");
            var token = await call.Services.GetRequiredService<GmailAccessToken>().GetAsync(call.Provider, cancellationToken, call.ClientName);
            return ConnectionCheckCall.Get(address, token);
        },
        AddServices = (services, configuration) =>
        {
            services.Configure<GmailOptions>(configuration.GetSection("Gmail"));
            services.AddSingleton<GmailAccessToken>();
            services.AddSingleton<IStepType, GmailStep>();
        },
    };
}
