using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
namespace AiOrchestra.Engine.Execution;

/// <summary>
/// Reads a step's rendered parameters, failing with a sentence that names the parameter.
/// Interpolation may turn a number into text ("5"), so numbers and booleans are also accepted as text,
/// and JSON written as text is accepted where an object or array is expected.
/// </summary>
public static class StepParameters
{
    public static string RequiredText(JsonObject parameters, string name) =>
        Text(parameters, name) is { Length: > 0 } text ? text : throw new StepFailedException($"parameter '{name}' is required");

    public static string? Text(JsonObject parameters, string name) => parameters[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        var other => throw WrongType(name, "text", other),
    };

    public static int? Integer(JsonObject parameters, string name, int min = int.MinValue, int max = int.MaxValue)
    {
        var node = parameters[name];
        if (node is null || (node is JsonValue s && s.GetValueKind() == JsonValueKind.String && s.GetValue<string>().Trim().Length == 0))
        {
            return null;
        }
        int value;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out int number))
        {
            value = number;
        }
        else if (node is JsonValue t && t.GetValueKind() == JsonValueKind.String
                 && int.TryParse(t.GetValue<string>().Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
        }
        else
        {
            throw WrongType(name, "a whole number", node);
        }
        if (value < min || value > max)
        {
            throw new StepFailedException($"parameter '{name}' must be between {min} and {max}, not {value}");
        }
        return value;
    }

    public static double? Number(JsonObject parameters, string name)
    {
        var node = parameters[name];
        if (node is null || (node is JsonValue s && s.GetValueKind() == JsonValueKind.String && s.GetValue<string>().Trim().Length == 0))
        {
            return null;
        }
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            // through the JSON text: a value built in code may hold an int, which GetValue<double> refuses
            return double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        if (node is JsonValue t && t.GetValueKind() == JsonValueKind.String
            && double.TryParse(t.GetValue<string>().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }
        throw WrongType(name, "a number", node);
    }

    /// <summary>An array parameter; a JSON array written as text (e.g. rendered from a variable) is accepted too.</summary>
    public static JsonArray? Array(JsonObject parameters, string name) => parameters[name] switch
    {
        null => null,
        JsonArray array => array,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && ParseText(v.GetValue<string>()) is JsonArray parsed => parsed,
        var other => throw WrongType(name, "an array", other),
    };

    /// <summary>An object parameter; a JSON object written as text is accepted too.</summary>
    public static JsonObject? Object(JsonObject parameters, string name) => parameters[name] switch
    {
        null => null,
        JsonObject obj => obj,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Trim().Length == 0 => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && ParseText(v.GetValue<string>()) is JsonObject parsed => parsed,
        var other => throw WrongType(name, "an object", other),
    };

    private static JsonNode? ParseText(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static StepFailedException WrongType(string name, string expected, JsonNode? value)
    {
        var actual = value switch
        {
            JsonArray => "an array",
            JsonObject => "an object",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => $"the text '{Shorten(v.GetValue<string>())}'",
            _ => value?.ToJsonString() ?? "null",
        };
        return new StepFailedException($"parameter '{name}' must be {expected}, not {actual}");
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
