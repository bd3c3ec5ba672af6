using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Workflows;

namespace AiOrchestra.Web.Data;

/// <summary>
/// The example workflows and prompts shipped in <c>data/examples/</c>, copied into a new user's own store so
/// there is something to run from the first visit.
/// </summary>
public sealed class Examples(IServiceScopeFactory scopes, IHostEnvironment environment, ILogger<Examples> log)
{
    public string Folder => Path.Combine(environment.ContentRootPath, "data", "examples");

    /// <summary>Saves every example for the user; an example that does not read or validate is skipped and logged.</summary>
    public async Task<int> LoadForUserAsync(string ownerId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var workflows = scope.ServiceProvider.GetRequiredService<WorkflowStore>();
        var prompts = scope.ServiceProvider.GetRequiredService<PromptStore>();
        var loaded = 0;

        foreach (var file in Files("prompts"))
        {
            foreach (var prompt in ReadPrompts(file))
            {
                var saved = await prompts.SaveAsync(ownerId, prompt, cancellationToken);
                loaded += Report(file, saved.Errors);
            }
        }
        foreach (var file in Files("workflows"))
        {
            var parsed = WorkflowJson.Parse(await File.ReadAllTextAsync(file, cancellationToken));
            if (!parsed.Succeeded)
            {
                Report(file, parsed.Errors);
                continue;
            }
            var saved = await workflows.SaveAsync(ownerId, parsed.Workflow, cancellationToken);
            loaded += Report(file, saved.Errors);
        }
        return loaded;
    }

    private IEnumerable<string> Files(string kind)
    {
        var folder = Path.Combine(Folder, kind);
        return Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal) : [];
    }

    private int Report(string file, IReadOnlyList<ValidationError> errors)
    {
        if (errors.Count == 0)
        {
            return 1;
        }
        log.LogWarning("Example {File} was not loaded: {Errors}", file, string.Join("; ", errors));
        return 0;
    }

    /// <summary>A prompt file holds one prompt or an array of them, as the seed's PromptTemplate.</summary>
    private IEnumerable<PromptTemplate> ReadPrompts(string file)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file));
        }
        catch (JsonException e)
        {
            log.LogWarning("Example {File} is not JSON: {Error}", file, e.Message);
            yield break;
        }
        var items = root is JsonArray array ? array.OfType<JsonObject>() : root is JsonObject single ? [single] : [];
        foreach (var item in items)
        {
            PromptTemplate prompt;
            try
            {
                prompt = PromptDocument.Read(item, Path.GetFileName(file), Path.GetFileNameWithoutExtension(file));
            }
            catch (InvalidDataException e)
            {
                log.LogWarning("Example prompt was not loaded: {Error}", e.Message);
                continue;
            }
            yield return prompt;
        }
    }
}
