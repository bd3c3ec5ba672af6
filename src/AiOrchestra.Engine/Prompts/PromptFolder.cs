using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Prompts;

/// <summary>
/// Prompt templates read from a folder of JSON files (the command line's <c>data/examples/prompts</c>), each one
/// prompt in our shape or the original AI-Orchestra's (see <see cref="PromptDocument"/>).
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
        return PromptDocument.Read(obj, $"prompt file '{fileName}'");
    }
}
