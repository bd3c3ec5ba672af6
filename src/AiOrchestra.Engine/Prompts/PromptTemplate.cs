using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Prompts;

/// <summary>
/// A reusable prompt, as the seed's PromptTemplate (an id, a name, the template text and its variables), with the
/// original AI-Orchestra's system prompt, model and temperature. Its placeholders are ours, <c>{{name}}</c>, or the
/// original's single braces, <c>{name}</c>: the style is detected from the text and kept.
/// </summary>
public sealed record PromptTemplate
{
    public required string TemplateId { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }

    /// <summary>The prompt's text (the original's <c>user_prompt</c>).</summary>
    public required string Template { get; init; }

    /// <summary>The system message LLM steps send with it, in the same placeholder style; null for none.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>The model LLM steps ask for unless the step names one.</summary>
    public string? Model { get; init; }

    /// <summary>The sampling temperature LLM steps use unless the step gives one.</summary>
    public double? Temperature { get; init; }

    /// <summary>The stored version this text is (recorded with the steps that render it); null when not from a versioned store.</summary>
    public int? Version { get; init; }

    /// <summary>True when the text uses the original's single-brace placeholders and none of ours.</summary>
    public bool SingleBrace => BraceFormat.IsBraceStyle(SystemPrompt is null ? Template : SystemPrompt + "\n" + Template);

    /// <summary>
    /// The variables the text and the system prompt use, detected from their placeholders: distinct names in order of
    /// first use. Throws <see cref="TemplateException"/> when a text does not parse.
    /// </summary>
    public IReadOnlyList<string> Variables =>
        Texts().SelectMany(NamesIn).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The system prompt with every variable filled in, or null when the prompt has none.</summary>
    public string? RenderSystem(IReadOnlyDictionary<string, JsonNode?> values, RenderBudget? budget = null) =>
        SystemPrompt is null ? null : RenderText(SystemPrompt, values, budget);

    private IEnumerable<string> Texts() => SystemPrompt is null ? [Template] : [SystemPrompt, Template];

    private IReadOnlyList<string> NamesIn(string text) => SingleBrace
        ? BraceFormat.Names(text)
        : Templating.Template.Parse(text).References.Select(r => r.Name).ToList();

    /// <summary>
    /// The text with every variable filled in. Throws <see cref="TemplateException"/> naming every missing
    /// variable at once (<c>missing values for 'topic', 'audience'</c>), or what else is wrong; rendering stops at
    /// <paramref name="budget"/> (1 MiB when none is given).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, JsonNode?> values, RenderBudget? budget = null) => RenderText(Template, values, budget);

    private string RenderText(string text, IReadOnlyDictionary<string, JsonNode?> values, RenderBudget? budget)
    {
        var missing = Variables.Where(name => !values.ContainsKey(name)).ToList();
        if (missing.Count > 0)
        {
            throw new TemplateException($"missing values for {string.Join(", ", missing.Select(name => $"'{name}'"))}");
        }
        return SingleBrace ? BraceFormat.Format(text, values, budget) : Templating.Template.Parse(text).Render(values, budget);
    }
}

/// <summary>Where prompt templates come from: the store for the app, the examples folder for the command line.</summary>
public interface IPromptLibrary
{
    Task<PromptTemplate?> FindAsync(string ownerId, string templateId, CancellationToken cancellationToken);
}
