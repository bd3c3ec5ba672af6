namespace AiOrchestra.Engine.Steps.Notion;

/// <summary>The <c>Notion</c> configuration section (the token is read through IntegrationSecrets as <c>Notion:Token</c>).</summary>
public sealed class NotionOptions
{
    /// <summary>Notion's API host; paths such as <c>/v1/pages</c> are appended.</summary>
    public string BaseUrl { get; set; } = "https://api.notion.com";

    /// <summary>The API version sent as the <c>Notion-Version</c> header; the request and response shapes follow it.</summary>
    public string Version { get; set; } = "2022-06-28";
}
