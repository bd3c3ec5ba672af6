using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Data;

/// <summary>
/// A step's output as the run history stores it: JSON without escaping that only HTML needs (a quote inside a string is
/// <c>\"</c>, not <c>\u0022</c>), and an <c>http</c> step's response body once. Its output carries the body as text
/// and, when that text is JSON, parsed as <c>json</c>; when the text is exactly the compact form of <c>json</c> the
/// stored <c>body</c> is a marker and reading puts the text back, so every reader sees the output the step gave.
/// </summary>
internal static class StoredOutput
{
    // the body is the compact form of json: as written here (relaxed), or as System.Text.Json writes by default (as
    // ASP.NET Core's own JSON answers are, every + and quote inside strings escaped)
    private const string BodyMarker = "{\"$json\":";
    private const string RelaxedMarker = BodyMarker + "\"relaxed\"}";
    private const string EscapedMarker = BodyMarker + "\"escaped\"}";

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>How outputs are written: compact, no escaping that only HTML needs.</summary>
    public static JsonSerializerOptions Options => Compact;
    private static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string? Write(JsonNode? output)
    {
        if (output is null)
        {
            return null;
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, Writer))
        {
            switch (output)
            {
                case JsonObject response:
                    WriteOne(writer, response);
                    break;
                case JsonArray items:
                    // a for_each step's outputs: one per item, each maybe a response
                    writer.WriteStartArray();
                    foreach (var item in items)
                    {
                        if (item is JsonObject itemResponse)
                        {
                            WriteOne(writer, itemResponse);
                        }
                        else if (item is null)
                        {
                            writer.WriteNullValue();
                        }
                        else
                        {
                            item.WriteTo(writer, Compact);
                        }
                    }
                    writer.WriteEndArray();
                    break;
                default:
                    output.WriteTo(writer, Compact);
                    break;
            }
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The output as the step gave it, from what <see cref="Write"/> stored.</summary>
    public static string? Read(string? stored)
    {
        if (stored is null || !stored.Contains(BodyMarker, StringComparison.Ordinal))
        {
            return stored;
        }
        var node = JsonNode.Parse(stored);
        switch (node)
        {
            case JsonObject response:
                Restore(response);
                break;
            case JsonArray items:
                foreach (var item in items)
                {
                    if (item is JsonObject itemResponse)
                    {
                        Restore(itemResponse);
                    }
                }
                break;
        }
        return node?.ToJsonString(Compact);
    }

    private static void WriteOne(Utf8JsonWriter writer, JsonObject output)
    {
        var marker = JsonBodyMarker(output);
        writer.WriteStartObject();
        foreach (var (name, value) in output)
        {
            writer.WritePropertyName(name);
            if (marker is not null && name == "body")
            {
                writer.WriteRawValue(marker, skipInputValidation: true);
            }
            else if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                value.WriteTo(writer, Compact);
            }
        }
        writer.WriteEndObject();
    }

    /// <summary>The marker to store instead of an http response's body that is exactly its json's compact text; else null.</summary>
    private static string? JsonBodyMarker(JsonObject output)
    {
        if (!(output.TryGetPropertyValue("body", out var body) && body is JsonValue text && text.TryGetValue<string>(out var bodyText)
              && output.TryGetPropertyValue("json", out var json) && json is not null
              && output.ContainsKey("status") && output.ContainsKey("headers")))
        {
            return null;
        }
        return json.ToJsonString(Compact) == bodyText ? RelaxedMarker : json.ToJsonString() == bodyText ? EscapedMarker : null;
    }

    private static void Restore(JsonObject output)
    {
        if (output["body"] is JsonObject { Count: 1 } marker && marker["$json"] is JsonValue kind && kind.TryGetValue<string>(out var how)
            && output["json"] is { } json)
        {
            output["body"] = how == "escaped" ? json.ToJsonString() : json.ToJsonString(Compact);
        }
    }
}
