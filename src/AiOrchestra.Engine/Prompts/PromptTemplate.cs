using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Prompts;

/// <summary>A reusable prompt, as the seed's PromptTemplate: an id, a name, the template text and its variables.</summary>
public sealed record PromptTemplate
{
    public required string TemplateId { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public required string Template { get; init; }

    /// <summary>
    /// The variables the text uses, detected from its <c>{{ }}</c> references: distinct names in order of first use.
    /// Throws <see cref="TemplateException"/> when the text does not parse.
    /// </summary>
    public IReadOnlyList<string> Variables =>
        Templating.Template.Parse(Template).References.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The text with every variable filled in. Throws <see cref="TemplateException"/> naming every missing
    /// variable at once (<c>missing values for 'topic', 'audience'</c>), or what else is wrong; rendering stops at
    /// <paramref name="budget"/> (1 MiB when none is given).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, JsonNode?> values, RenderBudget? budget = null)
    {
        var parsed = Templating.Template.Parse(Template);
        var missing = parsed.References.Select(r => r.Name).Distinct(StringComparer.Ordinal).Where(name => !values.ContainsKey(name)).ToList();
        if (missing.Count > 0)
        {
            throw new TemplateException($"missing values for {string.Join(", ", missing.Select(name => $"'{name}'"))}");
        }
        return parsed.Render(values, budget);
    }
}

/// <summary>Where prompt templates come from: the store for the app, the examples folder for the command line.</summary>
public interface IPromptLibrary
{
    Task<PromptTemplate?> FindAsync(string ownerId, string templateId, CancellationToken cancellationToken);
}
