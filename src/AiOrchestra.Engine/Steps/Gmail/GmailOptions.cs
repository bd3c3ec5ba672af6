namespace AiOrchestra.Engine.Steps.Gmail;

/// <summary>
/// The <c>Gmail</c> configuration section. The OAuth client id and secret and the refresh token are read through
/// IntegrationSecrets (<c>Gmail:ClientId</c>, <c>Gmail:ClientSecret</c>, <c>Gmail:RefreshToken</c>).
/// </summary>
public sealed class GmailOptions
{
    /// <summary>Gmail API host; <c>/gmail/v1/users/me/...</c> is appended.</summary>
    public string BaseUrl { get; set; } = "https://gmail.googleapis.com";

    /// <summary>OAuth 2.0 token endpoint the refresh token is exchanged at.</summary>
    public string TokenUrl { get; set; } = "https://oauth2.googleapis.com/token";

    /// <summary>OAuth 2.0 authorization endpoint the Settings page sends the browser to, to obtain a refresh token.</summary>
    public string AuthorizationUrl { get; set; } = "https://accounts.google.com/o/oauth2/v2/auth";

    /// <summary>
    /// The address Google sends the browser back to (<c>…/Settings/GmailCallback</c>), as registered with the OAuth
    /// client; when empty it is built from the request (set it behind a reverse proxy).
    /// </summary>
    public string? RedirectUrl { get; set; }
}
