using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Prompts;

/// <summary>
/// A prompt as JSON, in our shape <c>{template_id, name, description, template, variables}</c> or the original
/// AI-Orchestra's <c>{id, name, description, system_prompt, user_prompt, variables, model, temperature}</c>.
/// The declared <c>variables</c> list is not needed: variables are detected from the text.
/// </summary>
public static class PromptDocument
{
    /// <summary>The prompt <paramref name="obj"/> describes; throws <see cref="InvalidDataException"/> naming <paramref name="source"/> and the field.</summary>
    public static PromptTemplate Read(JsonObject obj, string source, string? fallbackId = null)
    {
        var id = Text(obj, "template_id", source) ?? Text(obj, "id", source) ?? fallbackId
            ?? throw new InvalidDataException($"{source}: no 'template_id' (or 'id'); give the prompt an id");
        var template = Text(obj, "template", source) ?? Text(obj, "user_prompt", source)
            ?? throw new InvalidDataException($"{source}: no 'template' (or 'user_prompt') text");
        return new PromptTemplate
        {
            TemplateId = id,
            Name = Text(obj, "name", source) ?? id,
            Description = Text(obj, "description", source),
            Template = template,
            SystemPrompt = Text(obj, "system_prompt", source),
            Model = Text(obj, "model", source),
            Temperature = Number(obj, "temperature", source),
        };
    }

    private static string? Text(JsonObject obj, string field, string source) => obj[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new InvalidDataException($"{source}: '{field}' must be text"),
    };

    private static double? Number(JsonObject obj, string field, string source) => obj[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        _ => throw new InvalidDataException($"{source}: '{field}' must be a number such as 0.7"),
    };
}
