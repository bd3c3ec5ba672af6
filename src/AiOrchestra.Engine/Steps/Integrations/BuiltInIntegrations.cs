using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Steps.GitHub;
using AiOrchestra.Engine.Steps.Gmail;
using AiOrchestra.Engine.Steps.Notion;
using AiOrchestra.Engine.Steps.OpenAI;

namespace AiOrchestra.Engine.Steps.Integrations;

/// <summary>The integrations the app ships, in the order Settings shows them: one line per integration folder.</summary>
public static class BuiltInIntegrations
{
    public static readonly IReadOnlyList<Integration> All =
    [
        OpenAIIntegration.Declaration,
        AnthropicIntegration.Declaration,
        LocalModelIntegration.Declaration,
        GitHubIntegration.Declaration,
        NotionIntegration.Declaration,
        GmailIntegration.Declaration,
    ];
}
