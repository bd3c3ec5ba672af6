namespace AiOrchestra.Engine.Prompts;

/// <summary>A reusable prompt, as the seed's PromptTemplate: an id, a name, the template text and its variables.</summary>
public sealed record PromptTemplate
{
    public required string TemplateId { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public required string Template { get; init; }
}

/// <summary>Where prompt templates come from: the store for the app, the examples folder for the command line.</summary>
public interface IPromptLibrary
{
    Task<PromptTemplate?> FindAsync(string ownerId, string templateId, CancellationToken cancellationToken);
}
