using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Prompts;

/// <summary>A saved prompt template with the variables its text uses.</summary>
public sealed record StoredPrompt(PromptTemplate Prompt, IReadOnlyList<string> Variables, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Either the saved prompt, or why it was not saved (nothing was written then): its errors, or the outcome.</summary>
public sealed record PromptSaveResult(StoredPrompt? Saved, IReadOnlyList<ValidationError> Errors, SaveOutcome Outcome)
{
    public bool Succeeded => Saved is not null;

    internal static PromptSaveResult Refused(SaveOutcome outcome) => new(null, [], outcome);
}
