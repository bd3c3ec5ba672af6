using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Gmail;
using AiOrchestra.Engine.Steps.Integrations;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Settings;

/// <summary>
/// Gmail's OAuth 2.0 authorization-code flow from the Settings page: the browser is sent to <c>Gmail:AuthorizationUrl</c>
/// asking for read-only Gmail access offline; Google sends it back to <c>/Settings/GmailCallback</c> with a code, which is
/// exchanged at <c>Gmail:TokenUrl</c> for a refresh token, stored encrypted as the current project's credential (its
/// runs read that Gmail account; another project's runs never do). The <c>state</c> is the signed-in user's id and the
/// project's, protected with Data Protection and valid for a few minutes, so a callback started elsewhere is refused.
/// </summary>
public sealed class GmailAuthorization(
    IDataProtectionProvider protection, IOptions<GmailOptions> options, IntegrationSecrets secrets, IHttpClientFactory clients, Projects.ProjectCredentials credentials)
{
    public const string Scope = "https://www.googleapis.com/auth/gmail.readonly";
    public const string CallbackPath = "/Settings/GmailCallback";

    private static readonly TimeSpan StateLifetime = TimeSpan.FromMinutes(10);

    private readonly ITimeLimitedDataProtector _state = protection.CreateProtector("AiOrchestra.Settings.GmailAuthorization").ToTimeLimitedDataProtector();

    /// <summary>The address Google sends the browser back to: <c>Gmail:RedirectUrl</c>, else this site's callback.</summary>
    public string RedirectUrl(HttpRequest request) =>
        string.IsNullOrWhiteSpace(options.Value.RedirectUrl)
            ? $"{request.Scheme}://{request.Host}{request.PathBase}{CallbackPath}"
            : options.Value.RedirectUrl;

    /// <summary>Where to send the browser to grant the project access, or the sentence saying what to set first.</summary>
    public async Task<(string? Url, string? Problem)> StartAsync(string userId, string projectId, string redirectUrl, CancellationToken cancellationToken)
    {
        // the OAuth client the project's runs would use: its own, else the instance's where it may
        using var scope = IntegrationSecrets.Use(await credentials.ScopeAsync(projectId, cancellationToken));
        if (secrets.Find(GmailIntegration.ClientId) is not { } clientId || secrets.Find(GmailIntegration.ClientSecret) is null)
        {
            return (null, "Set Gmail:ClientId and Gmail:ClientSecret (the OAuth client of your Google Cloud project) before authorizing.");
        }
        var url = QueryHelpers.AddQueryString(options.Value.AuthorizationUrl, new Dictionary<string, string?>
        {
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUrl,
            ["response_type"] = "code",
            ["scope"] = Scope,
            // offline: a refresh token; consent: Google issues a new one even when access was granted before
            ["access_type"] = "offline",
            ["prompt"] = "consent",
            ["state"] = _state.Protect(State(userId, projectId), StateLifetime),
        });
        return (url, null);
    }

    /// <summary>
    /// Completes the flow for the signed-in <paramref name="userId"/> in <paramref name="projectId"/>: checks the state,
    /// exchanges the code and stores the refresh token as the project's. Returns null when it is stored, else what went
    /// wrong and what to do.
    /// </summary>
    public async Task<string?> CompleteAsync(
        string userId, string projectId, string? code, string? state, string? error, string redirectUrl, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(error))
        {
            return error == "access_denied"
                ? "Access to Gmail was not granted. Press Authorize again and allow read-only access."
                : $"Google refused the authorization ({error}). Check the OAuth client's redirect URI ({redirectUrl}) and try again.";
        }
        if (!StateBelongsTo(state, State(userId, projectId)))
        {
            return "This authorization was not started from your Settings page, or it took longer than 10 minutes. Press Authorize again.";
        }
        if (string.IsNullOrWhiteSpace(code))
        {
            return "Google sent no authorization code back. Press Authorize again.";
        }
        using var scope = IntegrationSecrets.Use(await credentials.ScopeAsync(projectId, cancellationToken));
        if (secrets.Find(GmailIntegration.ClientId) is not { } clientId || secrets.Find(GmailIntegration.ClientSecret) is not { } clientSecret)
        {
            return "Set Gmail:ClientId and Gmail:ClientSecret before authorizing.";
        }

        var provider = (GmailIntegration.Declaration with { CheckedCredential = GmailIntegration.ClientSecret }).Provider(secrets);
        try
        {
            using var response = await clients.CreateClient(GmailStep.HttpClientName).PostAsync(options.Value.TokenUrl, new FormUrlEncodedContent(
                new Dictionary<string, string>
                {
                    ["grant_type"] = "authorization_code",
                    ["code"] = code,
                    ["client_id"] = clientId,
                    ["client_secret"] = clientSecret,
                    ["redirect_uri"] = redirectUrl,
                }), cancellationToken);
            var answer = await provider.ReadJsonAsync(response, cancellationToken);
            if (answer["access_token"] is JsonValue access && access.TryGetValue<string>(out var accessToken))
            {
                secrets.AddIssued(accessToken);
            }
            if (answer["refresh_token"] is not JsonValue value || !value.TryGetValue<string>(out var refreshToken) || refreshToken.Length == 0)
            {
                return "Google granted access but sent no refresh token. Remove AI Orchestra's access in your Google account's security settings, then press Authorize again.";
            }
            await credentials.SetAsync(projectId, GmailIntegration.RefreshToken, refreshToken, cancellationToken);
            return null;
        }
        catch (StepFailedException e)
        {
            return secrets.Scrub($"The code could not be exchanged for a refresh token: {e.Message}");
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or JsonException)
        {
            return secrets.Scrub($"Gmail's token endpoint ({options.Value.TokenUrl}) could not be reached or read: {e.Message}");
        }
    }

    // the user and the project the flow was started for: a callback in another project (switched meanwhile) is refused
    private static string State(string userId, string projectId) => userId + "\n" + projectId;

    private bool StateBelongsTo(string? state, string expected)
    {
        if (string.IsNullOrEmpty(state))
        {
            return false;
        }
        try
        {
            return _state.Unprotect(state) == expected;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
