namespace AiOrchestra.Engine.Steps.Ai;

/// <summary>The <c>AI</c> configuration section: which model provider an LLM step uses when it names none.</summary>
public sealed class AIOptions
{
    /// <summary><c>openai</c> (OpenAI or any compatible server), <c>anthropic</c> or <c>local</c>.</summary>
    public string DefaultProvider { get; set; } = ChatProviders.OpenAI;
}

/// <summary>The <c>Anthropic</c> configuration section (the key is read through IntegrationSecrets as <c>Anthropic:ApiKey</c>).</summary>
public sealed class AnthropicOptions
{
    /// <summary>Base URL of the Messages API, without <c>/v1</c>.</summary>
    public string BaseUrl { get; set; } = "https://api.anthropic.com";

    /// <summary>The model used when a step names none.</summary>
    public string Model { get; set; } = "claude-sonnet-4-5";

    /// <summary>Anthropic requires an upper limit of tokens per answer; this one applies when a step gives no max_tokens.</summary>
    public int MaxTokens { get; set; } = 4096;
}

/// <summary>
/// The <c>Local</c> configuration section: a model served on your own machine or network through an OpenAI-compatible
/// endpoint (Ollama, llama.cpp server, vLLM, LM Studio). <c>Local:ApiKey</c> is optional.
/// </summary>
public sealed class LocalModelOptions
{
    /// <summary>Base URL as the OpenAI SDK takes it, e.g. Ollama's <c>http://localhost:11434/v1</c>.</summary>
    public string BaseUrl { get; set; } = "http://localhost:11434/v1";

    /// <summary>The model used when a step names none.</summary>
    public string Model { get; set; } = "llama3.2";
}
