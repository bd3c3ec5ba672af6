using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Data;

/// <summary>
/// A step's output as the run history stores it: JSON without escaping that only HTML needs (a quote inside a string is
/// <c>\"</c>, not <c>\u0022</c>), and an <c>http</c> step's response body once. Its output carries the body as text
/// and, when that text is JSON, parsed as <c>json</c>; when the text is exactly the compact form of <c>json</c> the
/// stored <c>body</c> is a marker and reading puts the text back, so every reader sees the output the step gave. With
/// such a body, a <c>content-length</c> header that is the body's size in UTF-8 is stored as its place among the
/// headers in the marker (<c>{"$json":1,"$length":2}</c>): reading puts it back there, its value counted from the body.
/// </summary>
internal static class StoredOutput
{
    // the body is the compact form of json: as written here (relaxed), or as System.Text.Json writes by default (as
    // ASP.NET Core's own JSON answers are, every + and quote inside strings escaped)
    // as numbers, 1 and 2; stored before as "relaxed" and "escaped", read as well
    private const string BodyMarker = "{\"$json\":";
    private const int Relaxed = 1;
    private const int Escaped = 2;
    private const string ContentLength = "content-length";

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
        var (kind, lengthAt) = JsonBody(output);
        writer.WriteStartObject();
        foreach (var (name, value) in output)
        {
            writer.WritePropertyName(name);
            if (kind != 0 && name == "body")
            {
                writer.WriteStartObject();
                writer.WriteNumber("$json", kind);
                if (lengthAt >= 0)
                {
                    writer.WriteNumber("$length", lengthAt);
                }
                writer.WriteEndObject();
            }
            else if (lengthAt >= 0 && name == "headers")
            {
                var headers = (JsonObject)value!;
                writer.WriteStartObject();
                foreach (var (header, headerValue) in headers)
                {
                    if (header != ContentLength)
                    {
                        writer.WritePropertyName(header);
                        WriteValue(writer, headerValue);
                    }
                }
                writer.WriteEndObject();
            }
            else
            {
                WriteValue(writer, value);
            }
        }
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonNode? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer, Compact);
        }
    }

    /// <summary>
    /// For an http response whose body is exactly its json's compact text: which form (<see cref="Relaxed"/> or
    /// <see cref="Escaped"/>), and the place of a <c>content-length</c> header that is the body's UTF-8 size (-1 when
    /// none is, or it says something else); (0, -1) for any other output.
    /// </summary>
    private static (int Kind, int LengthAt) JsonBody(JsonObject output)
    {
        if (!(output.TryGetPropertyValue("body", out var body) && body is JsonValue text && text.TryGetValue<string>(out var bodyText)
              && output.TryGetPropertyValue("json", out var json) && json is not null
              && output.ContainsKey("status") && output.TryGetPropertyValue("headers", out var headers)))
        {
            return (0, -1);
        }
        var kind = json.ToJsonString(Compact) == bodyText ? Relaxed : json.ToJsonString() == bodyText ? Escaped : 0;
        if (kind == 0)
        {
            return (0, -1);
        }
        var lengthAt = headers is JsonObject named && named.IndexOf(ContentLength) is var at and >= 0
                       && named[at] is JsonValue length && length.TryGetValue<string>(out var lengthText)
                       && lengthText == Encoding.UTF8.GetByteCount(bodyText).ToString(CultureInfo.InvariantCulture)
            ? at
            : -1;
        return (kind, lengthAt);
    }

    private static void Restore(JsonObject output)
    {
        if (output["body"] is not JsonObject { Count: 1 or 2 } marker || marker["$json"] is not JsonValue kind
            || (marker.Count == 2 && !marker.ContainsKey("$length")) || output["json"] is not { } json
            || !output.ContainsKey("status") || !output.ContainsKey("headers"))
        {
            return;
        }
        var escaped = kind.TryGetValue<int>(out var number) ? number == Escaped : kind.TryGetValue<string>(out var how) && how == "escaped";
        var body = escaped ? json.ToJsonString() : json.ToJsonString(Compact);
        output["body"] = body;
        if (marker["$length"] is JsonValue place && place.TryGetValue<int>(out var at) && output["headers"] is JsonObject headers)
        {
            headers.Insert(Math.Min(at, headers.Count), ContentLength, Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture));
        }
    }
}
