using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using Json.Schema;

namespace AiOrchestra.Engine.Steps.Ai;

/// <summary>
/// The JSON Schema an LLM step's answer must follow (<c>output_schema</c>): sent to the model as the response format,
/// then the answer is parsed and checked against it, so later steps can read fields by path.
/// </summary>
public sealed class OutputSchema
{
    private const int MaxAnswerShown = 2000;
    private static readonly EvaluationOptions HierarchicalOutput = new() { OutputFormat = OutputFormat.Hierarchical };
    private static readonly string[] TypeNames = ["string", "number", "integer", "boolean", "object", "array", "null"];

    private readonly JsonSchema _schema;

    private OutputSchema(JsonObject document, JsonSchema schema)
    {
        Document = document;
        _schema = schema;
    }

    /// <summary>The schema as written, for the provider's response format.</summary>
    public JsonObject Document { get; }

    /// <summary>
    /// What is wrong with <paramref name="value"/> as a JSON Schema (draft 2020-12), each with its path inside the schema
    /// (<c>properties.important.type</c>; empty for the schema itself). No problems means it can be used.
    /// </summary>
    public static IReadOnlyList<(string Path, string Message)> Problems(JsonNode? value)
    {
        if (value is not JsonObject schema)
        {
            return [("", $"must be a JSON Schema object such as {{\"type\": \"object\", \"properties\": {{...}}}}, not {JsonValues.Describe(value)}")];
        }
        using var document = JsonDocument.Parse(schema.ToJsonString());
        var problems = new List<(string Path, string Message)>();
        var results = MetaSchemas.Draft202012.Evaluate(document.RootElement, HierarchicalOutput);
        if (!results.IsValid)
        {
            var byPath = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            CollectFailures(results, byPath);
            foreach (var (path, messages) in byPath)
            {
                problems.Add((path, Explain(path, messages)));
            }
            if (problems.Count == 0)
            {
                problems.Add(("", "is not a valid JSON Schema (draft 2020-12)"));
            }
            return problems;
        }
        try
        {
            JsonSchema.Build(document.RootElement, OwnRegistry());
        }
        catch (Exception e) when (e is JsonException or JsonSchemaException or InvalidOperationException or ArgumentException or RefResolutionException)
        {
            problems.Add(("", $"is not a usable JSON Schema: {e.Message}"));
        }
        return problems;
    }

    /// <summary>The schema of a step; a step error naming <paramref name="source"/> when it is not a valid JSON Schema.</summary>
    public static OutputSchema From(JsonNode? value, string source)
    {
        var problems = Problems(value);
        if (problems.Count > 0)
        {
            var listed = string.Join("; ", problems.Select(p => p.Path.Length == 0 ? p.Message : $"{p.Path}: {p.Message}"));
            throw new StepFailedException($"{source} is not a valid JSON Schema: {listed}");
        }
        var document = (JsonObject)value!.DeepClone();
        // The built schema keeps the element: a cloned element, not one of a pooled document that is disposed.
        return new OutputSchema(document, JsonSchema.Build(JsonSerializer.SerializeToElement(document), OwnRegistry()));
    }

    /// <summary>
    /// The model's answer as JSON that follows the schema. An answer that is not JSON, or does not match, is a step failure
    /// that shows the answer; it is transient, so a step with <c>retry</c> asks the model again.
    /// </summary>
    public JsonNode? Read(string answer)
    {
        var text = WithoutCodeFence(answer);
        JsonNode? value;
        try
        {
            value = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new StepFailedException($"the model's answer is not JSON ({e.Message}), so it cannot match output_schema; the model answered: {Shown(answer)}", transient: true);
        }
        var mismatches = Mismatches(value);
        if (mismatches.Count == 0)
        {
            return value;
        }
        throw new StepFailedException(
            $"the model's answer does not match output_schema ({string.Join("; ", mismatches)}); the model answered: {Shown(answer)}", transient: true);
    }

    /// <summary>Where <paramref name="value"/> does not follow the schema (at most five places, each "path: what is wrong"); empty when it does.</summary>
    public IReadOnlyList<string> Mismatches(JsonNode? value)
    {
        var results = _schema.Evaluate(JsonSerializer.SerializeToElement(value), HierarchicalOutput);
        if (results.IsValid)
        {
            return [];
        }
        var byPath = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        CollectFailures(results, byPath);
        if (byPath.Count == 0)
        {
            return ["the value: does not match the schema"];
        }
        return byPath
            .Select(p => $"{(p.Key.Length == 0 ? "the value" : p.Key)}: {string.Join("; or ", p.Value)}")
            .Take(5)
            .ToList();
    }

    /// <summary>
    /// Each schema is built into a registry of its own: the global one refuses a second schema with the same <c>$id</c>,
    /// and one user's schemas must not be visible to another's <c>$ref</c>.
    /// </summary>
    private static BuildOptions OwnRegistry() => new() { SchemaRegistry = new SchemaRegistry() };

    /// <summary>
    /// The errors of the failed parts of an evaluation, by the path they concern. A passing part is not entered: inside an
    /// <c>anyOf</c> that one branch satisfied, the other branches' failures are no mistakes.
    /// </summary>
    private static void CollectFailures(EvaluationResults node, Dictionary<string, List<string>> byPath)
    {
        if (node.IsValid)
        {
            return;
        }
        foreach (var (_, message) in node.Errors ?? new Dictionary<string, string>())
        {
            var path = PathOf(node.InstanceLocation.ToString());
            if (!byPath.TryGetValue(path, out var messages))
            {
                byPath[path] = messages = [];
            }
            if (!messages.Contains(message))
            {
                messages.Add(message);
            }
        }
        foreach (var child in node.Details ?? [])
        {
            CollectFailures(child, byPath);
        }
    }

    /// <summary>A wrong <c>type</c> is the common mistake: name the value and the allowed ones instead of the meta-schema's wording.</summary>
    private static string Explain(string path, List<string> messages)
    {
        if (path == "type" || path.EndsWith(".type", StringComparison.Ordinal))
        {
            return $"a type must be one of {string.Join(", ", TypeNames)} (or a list of them)";
        }
        return string.Join("; or ", messages);
    }

    /// <summary>Models without a JSON mode often wrap JSON in a Markdown code fence; the fence is not part of the answer.</summary>
    private static string WithoutCodeFence(string answer)
    {
        var text = answer.Trim();
        if (!text.StartsWith("```", StringComparison.Ordinal) || !text.EndsWith("```", StringComparison.Ordinal) || text.Length < 6)
        {
            return text;
        }
        var firstLine = text.IndexOf('\n');
        return firstLine < 0 ? text : text[(firstLine + 1)..^3].Trim();
    }

    private static string Shown(string answer) =>
        answer.Length == 0 ? "(nothing)" : answer.Length <= MaxAnswerShown ? answer : answer[..MaxAnswerShown] + "…";

    /// <summary>A JSON Pointer (<c>/properties/a/type</c>) written as the paths of our errors (<c>properties.a.type</c>).</summary>
    private static string PathOf(string pointer)
    {
        var path = "";
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var key = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            // A number is an index (of allOf, required, an answer's list); a property named by digits alone is rare.
            path = int.TryParse(key, out var index) && index >= 0 && path.Length > 0
                ? JsonValues.Item(path, index)
                : JsonValues.Child(path, key);
        }
        return path;
    }
}
