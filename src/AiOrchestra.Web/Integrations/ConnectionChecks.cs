using System.Net.Http.Headers;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.GitHub;
using AiOrchestra.Engine.Steps.Gmail;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Engine.Steps.Notion;
using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Steps.OpenAI;
using AiOrchestra.Web.Settings;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Integrations;

/// <summary>
/// The Settings page's "Test connection": one cheap authenticated request with the integration's credentials, as its
/// steps send them, but as a single attempt with a short deadline through the provider's check client (no retries, no
/// per-request log lines): a person is waiting on the answer. The answer is null when it worked, or the sentence a
/// failing step would give (which setting to check), scrubbed of secrets.
/// </summary>
public abstract class ConnectionCheck(string integration, string clientName, Provider provider, IntegrationSecrets secrets, IHttpClientFactory clients)
    : IIntegrationCheck
{
    /// <summary>How long a check waits for the provider before saying it did not answer.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>The check's own client of a provider's named client: one attempt, no resilience pipeline, no logging.</summary>
    public static string CheckClientName(string clientName) => clientName + ".check";

    public string Integration => integration;

    protected IntegrationSecrets Secrets => secrets;

    protected Provider Provider => provider;

    protected string ClientName => CheckClientName(clientName);

    public async Task<string?> TestAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        try
        {
            using var request = await RequestAsync(deadline.Token);
            using var response = await clients.CreateClient(ClientName).SendAsync(request, deadline.Token);
            await provider.EnsureSuccessAsync(response, deadline.Token);
            return null;
        }
        catch (StepFailedException e)
        {
            return secrets.Scrub(e.Message);
        }
        catch (HttpRequestException e)
        {
            return secrets.Scrub($"could not reach {provider.Name}: {e.Message}; check its base URL and the network");
        }
        catch (TimeoutException e)
        {
            return secrets.Scrub($"{provider.Name} did not answer in time ({e.Message})");
        }
        catch (System.Text.Json.JsonException e)
        {
            return secrets.Scrub($"{provider.Name} sent a response that could not be read as JSON: {e.Message}; check its base URL");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"{provider.Name} did not answer within {Deadline.TotalSeconds:0} s; check its base URL and the network";
        }
    }

    /// <summary>The request to send; throws <see cref="StepFailedException"/> when a setting is missing or wrong.</summary>
    protected abstract Task<HttpRequestMessage> RequestAsync(CancellationToken cancellationToken);

    protected static Uri Address(string setting, string baseUrl, string path) =>
        Uri.TryCreate(baseUrl.TrimEnd('/') + path, UriKind.Absolute, out var uri)
            ? uri
            : throw new StepFailedException($"{setting} '{baseUrl}' is not an absolute URL");

    protected static HttpRequestMessage Get(Uri address, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}

/// <summary>OpenAI (or a compatible server): <c>GET {OpenAI:BaseUrl}/models</c> with the API key.</summary>
public sealed class OpenAIConnectionCheck(IOptions<OpenAIOptions> options, IntegrationSecrets secrets, IHttpClientFactory clients)
    : ConnectionCheck("openai", OpenAIStep.HttpClientName, new Provider("OpenAI", "OpenAI:ApiKey", secrets), secrets, clients)
{
    protected override Task<HttpRequestMessage> RequestAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Get(Address("OpenAI:BaseUrl", options.Value.BaseUrl, "/models"), Secrets.Require("OpenAI:ApiKey")));
}

/// <summary>GitHub: <c>GET /user</c> (the token's own account) with the token.</summary>
public sealed class GitHubConnectionCheck(IOptions<GitHubOptions> options, IntegrationSecrets secrets, IHttpClientFactory clients)
    : ConnectionCheck("github", GitHubStep.HttpClientName, new Provider("GitHub", "GitHub:Token", secrets), secrets, clients)
{
    protected override Task<HttpRequestMessage> RequestAsync(CancellationToken cancellationToken)
    {
        var request = Get(Address("GitHub:BaseUrl", options.Value.BaseUrl, "/user"), Secrets.Require("GitHub:Token"));
        // GitHub refuses requests without a User-Agent
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("AiOrchestra", null));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        return Task.FromResult(request);
    }
}

/// <summary>Notion: <c>GET /v1/users/me</c> (the integration's bot user) with the token and API version.</summary>
public sealed class NotionConnectionCheck(IOptions<NotionOptions> options, IntegrationSecrets secrets, IHttpClientFactory clients)
    : ConnectionCheck("notion", NotionStep.HttpClientName, new Provider("Notion", "Notion:Token", secrets), secrets, clients)
{
    protected override Task<HttpRequestMessage> RequestAsync(CancellationToken cancellationToken)
    {
        var request = Get(Address("Notion:BaseUrl", options.Value.BaseUrl, "/v1/users/me"), Secrets.Require("Notion:Token"));
        request.Headers.Add("Notion-Version", options.Value.Version);
        return Task.FromResult(request);
    }
}

/// <summary>Gmail: the refresh token exchanged at <c>Gmail:TokenUrl</c>, then <c>GET users/me/profile</c> with the access token.</summary>
public sealed class GmailConnectionCheck(IOptions<GmailOptions> options, GmailAccessToken accessToken, IntegrationSecrets secrets, IHttpClientFactory clients)
    : ConnectionCheck("gmail", GmailStep.HttpClientName, new Provider("Gmail", "Gmail:RefreshToken", secrets), secrets, clients)
{
    protected override async Task<HttpRequestMessage> RequestAsync(CancellationToken cancellationToken)
    {
        var address = Address("Gmail:BaseUrl", options.Value.BaseUrl, "/gmail/v1/users/me/profile");
        return Get(address, await accessToken.GetAsync(Provider, cancellationToken, ClientName));
    }
}

/// <summary>Anthropic: <c>GET {Anthropic:BaseUrl}/v1/models</c> with the API key and API version, as the Messages API is called.</summary>
public sealed class AnthropicConnectionCheck(IOptions<AnthropicOptions> options, IntegrationSecrets secrets, IHttpClientFactory clients)
    : ConnectionCheck("anthropic", ChatProviders.AnthropicClientName, new Provider("Anthropic", "Anthropic:ApiKey", secrets), secrets, clients)
{
    protected override Task<HttpRequestMessage> RequestAsync(CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Address("Anthropic:BaseUrl", options.Value.BaseUrl, "/v1/models"));
        request.Headers.Add("x-api-key", Secrets.Require("Anthropic:ApiKey"));
        request.Headers.Add("anthropic-version", "2023-06-01");
        return Task.FromResult(request);
    }
}

/// <summary>A local OpenAI-compatible server: <c>GET {Local:BaseUrl}/models</c>, with the key only when one is set.</summary>
public sealed class LocalModelConnectionCheck(IOptions<LocalModelOptions> options, IntegrationSecrets secrets, IHttpClientFactory clients)
    : ConnectionCheck("local", ChatProviders.LocalClientName, new Provider("the local model server", "Local:ApiKey", secrets), secrets, clients)
{
    protected override Task<HttpRequestMessage> RequestAsync(CancellationToken cancellationToken)
    {
        var address = Address("Local:BaseUrl", options.Value.BaseUrl, "/models");
        return Task.FromResult(Secrets.Find("Local:ApiKey") is { } key ? Get(address, key) : new HttpRequestMessage(HttpMethod.Get, address));
    }
}
