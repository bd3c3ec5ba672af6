using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Prompts;

/// <summary>A saved prompt template with the variables its text uses.</summary>
public sealed record StoredPrompt(PromptTemplate Prompt, IReadOnlyList<string> Variables, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Either the saved prompt, or every reason it was not saved (nothing was written then).</summary>
public sealed record PromptSaveResult(StoredPrompt? Saved, IReadOnlyList<ValidationError> Errors)
{
    public bool Succeeded => Saved is not null;
}
