using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Prompts;

/// <summary>
/// Prompt templates read from a folder of JSON files (the command line's <c>data/examples/prompts</c>), each
/// <c>{"template_id", "name", "description", "template", "variables"}</c>; <c>id</c> is read as <c>template_id</c>.
/// The declared <c>variables</c> list is not needed: variables are detected from the text.
/// Files are read on each lookup, so edits show at once; every user sees the same folder.
/// </summary>
public sealed class PromptFolder(string folder) : IPromptLibrary
{
    public async Task<PromptTemplate?> FindAsync(string ownerId, string templateId, CancellationToken cancellationToken)
    {
        foreach (var prompt in await ListAsync(cancellationToken))
        {
            if (prompt.TemplateId == templateId)
            {
                return prompt;
            }
        }
        return null;
    }

    /// <summary>Every prompt in the folder, ordered by file name. A file that cannot be read fails with its name and why.</summary>
    public async Task<IReadOnlyList<PromptTemplate>> ListAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }
        var prompts = new List<PromptTemplate>();
        foreach (var path in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            var text = await File.ReadAllTextAsync(path, cancellationToken);
            prompts.Add(Read(text, Path.GetFileName(path)));
        }
        return prompts;
    }

    private static PromptTemplate Read(string json, string fileName)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"prompt file '{fileName}' is not valid JSON: {e.Message}");
        }
        if (node is not JsonObject obj)
        {
            throw new InvalidDataException($"prompt file '{fileName}' must hold a JSON object");
        }
        var id = Text(obj, "template_id", fileName) ?? Text(obj, "id", fileName)
            ?? throw new InvalidDataException($"prompt file '{fileName}' has no 'template_id'");
        var template = Text(obj, "template", fileName)
            ?? throw new InvalidDataException($"prompt file '{fileName}' has no 'template' text");
        return new PromptTemplate
        {
            TemplateId = id,
            Name = Text(obj, "name", fileName) ?? id,
            Description = Text(obj, "description", fileName),
            Template = template,
        };
    }

    private static string? Text(JsonObject obj, string field, string fileName) => obj[field] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new InvalidDataException($"prompt file '{fileName}': '{field}' must be text"),
    };
}
