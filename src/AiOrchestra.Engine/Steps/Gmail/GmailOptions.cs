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
}
