namespace AiOrchestra.Engine.Steps.GitHub;

/// <summary>The <c>GitHub</c> configuration section (the token is read through IntegrationSecrets as <c>GitHub:Token</c>).</summary>
public sealed class GitHubOptions
{
    /// <summary>The REST API root: <c>https://api.github.com/</c>, or <c>https://github.example.com/api/v3/</c> for GitHub Enterprise Server.</summary>
    public string BaseUrl { get; set; } = "https://api.github.com/";
}
