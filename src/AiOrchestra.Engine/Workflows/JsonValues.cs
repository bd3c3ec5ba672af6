using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Workflows;

/// <summary>How JSON values and paths are named in error messages.</summary>
internal static class JsonValues
{
    private const int MaxQuotedLength = 40;

    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>"a string (\"60\")", "a number (4.5)", "an object", "null": what a person sees in their file.</summary>
    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => $"a string ({Quote(value.GetValue<string>())})",
            JsonValueKind.Number => $"a number ({value.ToJsonString()})",
            JsonValueKind.True => "a boolean (true)",
            JsonValueKind.False => "a boolean (false)",
            _ => "null",
        },
        _ => "an unknown value",
    };

    /// <summary>The text as a JSON string, so a newline or quote inside shows as it would be written in the file.</summary>
    public static string Quote(string text) => text.Length <= MaxQuotedLength
        ? JsonSerializer.Serialize(text, Readable)
        : JsonSerializer.Serialize(text[..MaxQuotedLength], Readable)[..^1] + "...\"";

    public static bool IsString(JsonNode? node, out string text)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            text = value.GetValue<string>();
            return true;
        }
        text = "";
        return false;
    }

    public static bool IsWholeNumber(JsonNode? node) =>
        node is JsonValue value
        && value.GetValueKind() == JsonValueKind.Number
        && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
        && double.IsFinite(number)
        && Math.Floor(number) == number;

    /// <summary>The path of a property: <c>parent.key</c>, or <c>parent["odd key"]</c> when the key is not a plain name.</summary>
    public static string Child(string parent, string key)
    {
        var plain = key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-');
        if (!plain)
        {
            return $"{parent}[{JsonSerializer.Serialize(key)}]";
        }
        return parent.Length == 0 ? key : $"{parent}.{key}";
    }

    public static string Item(string parent, int index) => $"{parent}[{index}]";

    /// <summary>"512 bytes", "3.2 KiB", "5.0 MiB".</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.0} MiB"),
    };
}
