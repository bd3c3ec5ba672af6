using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Steps.Transform;

/// <summary>
/// <c>transform</c>, the original AI-Orchestra's data step: <c>extract</c> takes one key out of an earlier value,
/// <c>format</c> fills Python-style <c>{name}</c> placeholders from the run's values. Needs no API key.
/// </summary>
public sealed class TransformStep : IStepType
{
    public string Name => "transform";

    public string Description => "Reshapes earlier values: extract a key, or format a text with {name} placeholders.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("extract", "Outputs one key (or path) of an earlier value.",
        [
            new StepParameter("source", ParameterType.Any, Required: true,
                "The value to read: the name of an earlier value (\"fetch_output\"), a reference to it (\"{{fetch_output}}\"), or JSON text."),
            new StepParameter("key", ParameterType.Any, Required: true,
                "The key to take, e.g. \"subject\"; a path such as \"items[0].title\" or a list index such as 0 also works."),
        ]),
        new("format", "Outputs a text with each {name} placeholder filled from the run's values ({{ and }} are literal braces).",
        [
            new StepParameter("template", ParameterType.String, Required: true,
                "The text, e.g. \"Summary of {topic}: {summarize_output}\"."),
        ]),
    ];

    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken) => Task.FromResult(call.Action switch
    {
        "extract" => Extract(call),
        "format" => Format(call),
        _ => throw new StepFailedException($"transform has no action '{call.Action}' (it has: extract, format)"),
    });

    private static JsonNode? Extract(StepCall call)
    {
        var source = SourceOf(call.Parameters["source"], call.Context.Values);
        var key = call.Parameters["key"];
        var path = key is JsonValue number && number.GetValueKind() == JsonValueKind.Number && number.TryGetValue<int>(out var index)
            ? $"source[{index}]"
            : $"source{PathOf(StepParameters.RequiredText(call.Parameters, "key"))}";
        TemplateReference reference;
        try
        {
            reference = Templating.Template.Parse("{{" + path + "}}").References.Single();
        }
        catch (TemplateException)
        {
            throw new StepFailedException($"parameter 'key': '{key}' is not a key or path (write a name such as \"subject\", or a path such as \"items[0].title\")");
        }
        try
        {
            return reference.Resolve(new Dictionary<string, JsonNode?> { ["source"] = source })?.DeepClone();
        }
        catch (TemplateException e)
        {
            throw new StepFailedException($"parameter 'key': {e.Message}");
        }
    }

    private static string PathOf(string key) => key.StartsWith('[') ? key : "." + key;

    /// <summary>
    /// The value named, or given; text holding a JSON object or list (an LLM's answer, a rendered template) is read
    /// as that JSON, as the original's Python dictionaries were.
    /// </summary>
    private static JsonNode? SourceOf(JsonNode? source, IReadOnlyDictionary<string, JsonNode?> values)
    {
        if (source is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>().Trim();
            if (values.TryGetValue(text, out var named))
            {
                return named is JsonValue namedValue && namedValue.GetValueKind() == JsonValueKind.String
                    ? AsJson(namedValue.GetValue<string>()) ?? named
                    : named;
            }
            return AsJson(text) ?? throw new StepFailedException(
                $"parameter 'source': '{Shorten(text)}' names no earlier value and is not a JSON object or list; name a variable or an earlier step's output, e.g. \"fetch_output\"");
        }
        return source;
    }

    private static JsonNode? AsJson(string text)
    {
        text = text.Trim();
        if (!text.StartsWith('{') && !text.StartsWith('['))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonNode? Format(StepCall call)
    {
        var template = StepParameters.RequiredText(call.Parameters, "template");
        try
        {
            return JsonValue.Create(BraceFormat.Format(template, call.Context.Values));
        }
        catch (TemplateException e)
        {
            throw new StepFailedException($"parameter 'template': {e.Message}");
        }
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
