using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// Reads a step's rendered parameters, failing with a sentence that names the parameter.
/// Numbers and booleans are accepted where text is expected, because interpolation may produce either.
/// </summary>
public static class StepParameters
{
    public static string RequiredText(this JsonObject parameters, string name) =>
        parameters.OptionalText(name) ?? throw new StepFailedException($"parameter '{name}' is required");

    public static string? OptionalText(this JsonObject parameters, string name)
    {
        var value = parameters[name];
        return value switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
            _ => throw new StepFailedException($"parameter '{name}' must be text, not {Describe(value)}"),
        };
    }

    public static JsonObject? OptionalObject(this JsonObject parameters, string name) => parameters[name] switch
    {
        null => null,
        JsonObject obj => obj,
        var other => throw new StepFailedException($"parameter '{name}' must be an object, not {Describe(other)}"),
    };

    internal static string Describe(JsonNode? value) => value switch
    {
        null => "null",
        JsonArray => "an array",
        JsonObject => "an object",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.String => "text",
            JsonValueKind.Number => "a number",
            _ => "a boolean",
        },
    };
}
