using System.Net.Http.Headers;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Engine.Steps.GitHub;

/// <summary>GitHub or GitHub Enterprise Server: the <c>github</c> step type.</summary>
public static class GitHubIntegration
{
    public const string Token = "GitHub:Token";
    public const string BaseUrl = "GitHub:BaseUrl";

    public static readonly Integration Declaration = new("github", "GitHub", "GitHub")
    {
        Credentials = [new(Token, "Token")],
        Settings = [new(BaseUrl, "Server", new GitHubOptions().BaseUrl)],
        HttpClient = IntegrationHttpClient.ForApi(GitHubStep.HttpClientName),
        // GET /user (the token's own account) with the token
        CheckConnection = (call, _) =>
        {
            var request = ConnectionCheckCall.Get(
                ConnectionCheckCall.Address(BaseUrl, call.Options<GitHubOptions>().BaseUrl, "/user"), call.Secrets.Require(Token));
            // GitHub refuses requests without a User-Agent
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("AiOrchestra", null));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
            return Task.FromResult(request);
        },
        AddServices = (services, configuration) =>
        {
            services.Configure<GitHubOptions>(configuration.GetSection("GitHub"));
            services.AddSingleton<IStepType, GitHubStep>();
        },
    };
}
