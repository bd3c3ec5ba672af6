using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Steps.Integrations;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Flows;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Http;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Engine.Steps.Gmail;

/// <summary>
/// A Gmail access token from the configured refresh token, through Google.Apis.Auth's authorization-code flow pointed
/// at <c>Gmail:TokenUrl</c> and sending through our resilient handler chain (Google's own back-off is switched off so
/// there is one retry layer). The token is kept in memory until shortly before it expires.
/// </summary>
public sealed class GmailAccessToken(
    System.Net.Http.IHttpMessageHandlerFactory handlers, IOptions<GmailOptions> options, IntegrationSecrets secrets, TimeProvider time)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (string RefreshToken, string AccessToken, DateTimeOffset RenewAt)? _current;

    /// <param name="clientName">The named client whose handler chain sends the exchange (the steps' resilient one by default).</param>
    public async Task<string> GetAsync(Provider provider, CancellationToken cancellationToken, string clientName = GmailStep.HttpClientName)
    {
        var clientId = secrets.Require(GmailIntegration.ClientId);
        var clientSecret = secrets.Require(GmailIntegration.ClientSecret);
        var refreshToken = secrets.Require(GmailIntegration.RefreshToken);
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_current is { } current && current.RefreshToken == refreshToken && time.GetUtcNow() < current.RenewAt)
            {
                return current.AccessToken;
            }
            var flow = new AuthorizationCodeFlow(new AuthorizationCodeFlow.Initializer(options.Value.AuthorizationUrl, options.Value.TokenUrl)
            {
                ClientSecrets = new ClientSecrets { ClientId = clientId, ClientSecret = clientSecret },
                HttpClientFactory = new PipelineClientFactory(handlers, clientName),
                DefaultExponentialBackOffPolicy = ExponentialBackOffPolicy.None,
            });
            TokenResponse response;
            try
            {
                response = await flow.RefreshTokenAsync("me", refreshToken, cancellationToken);
            }
            catch (TokenResponseException e)
            {
                var detail = string.Join(": ", new[] { e.Error?.Error, e.Error?.ErrorDescription }.Where(s => !string.IsNullOrEmpty(s)));
                var failure = provider.Failure((int)(e.StatusCode ?? HttpStatusCode.BadRequest), null,
                    new JsonObject { ["message"] = $"the refresh token could not be exchanged for an access token ({detail})" }.ToJsonString(), null);
                throw e.Error?.Error == "invalid_grant" || e.Error?.Error == "invalid_client"
                    ? new Execution.StepFailedException($"{failure.Message} (check the Gmail:ClientId, Gmail:ClientSecret and Gmail:RefreshToken settings)")
                    : failure;
            }
            catch (Newtonsoft.Json.JsonException e)
            {
                throw new System.Text.Json.JsonException(e.Message, e);
            }
            if (string.IsNullOrEmpty(response.AccessToken))
            {
                throw new Execution.StepFailedException("Gmail's token endpoint answered without an access_token");
            }
            secrets.AddIssued(response.AccessToken);
            var lifetime = TimeSpan.FromSeconds(Math.Max(0, (response.ExpiresInSeconds ?? 3600) - 60));
            _current = (refreshToken, response.AccessToken, time.GetUtcNow() + lifetime);
            return response.AccessToken;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Gives Google's auth library the handler chain of our named client instead of a plain HttpClientHandler.</summary>
    private sealed class PipelineClientFactory(System.Net.Http.IHttpMessageHandlerFactory handlers, string clientName) : HttpClientFactory
    {
        protected override HttpMessageHandler CreateHandler(CreateHttpClientArgs args) => handlers.CreateHandler(clientName);
    }
}
