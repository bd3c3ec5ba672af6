namespace AiOrchestra.Engine.Steps.OpenAI;

/// <summary>The <c>OpenAI</c> configuration section (the key itself is read through IntegrationSecrets as <c>OpenAI:ApiKey</c>).</summary>
public sealed class OpenAIOptions
{
    /// <summary>Base URL as the SDK takes it: OpenAI's, or any OpenAI-compatible server's (e.g. <c>http://localhost:11434/v1</c>).</summary>
    public string BaseUrl { get; set; } = "https://api.openai.com/v1";

    /// <summary>The model used when a step names none.</summary>
    public string Model { get; set; } = "gpt-4o-mini";
}
