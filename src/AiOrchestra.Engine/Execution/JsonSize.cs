using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// The size of a JSON value as compact UTF-8 JSON (escapes aside), counted by walking it rather than writing it out,
/// so a size check costs no copy and stops early on a value far over the limit.
/// </summary>
public static class JsonSize
{
    /// <summary>The value's size in bytes; once the count passes <paramref name="stopAfter"/> the walk stops and returns what it has.</summary>
    public static long Of(JsonNode? value, long stopAfter = long.MaxValue)
    {
        long size = 0;
        Add(value, ref size, stopAfter);
        return size;
    }

    /// <summary>A size as people read it: 512 bytes, 64 KiB, 1.5 MiB.</summary>
    public static string Format(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KiB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB",
    };

    private static void Add(JsonNode? value, ref long size, long stopAfter)
    {
        switch (value)
        {
            case null:
                size += 4;
                break;
            case JsonObject obj:
                size += 2;
                foreach (var (key, item) in obj)
                {
                    if (size > stopAfter)
                    {
                        return;
                    }
                    size += Encoding.UTF8.GetByteCount(key) + 4; // quotes, colon, comma
                    Add(item, ref size, stopAfter);
                }
                break;
            case JsonArray array:
                size += 2;
                foreach (var item in array)
                {
                    if (size > stopAfter)
                    {
                        return;
                    }
                    size += 1;
                    Add(item, ref size, stopAfter);
                }
                break;
            case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                size += Encoding.UTF8.GetByteCount(text.GetValue<string>()) + 2;
                break;
            default:
                size += value.ToJsonString().Length;
                break;
        }
    }
}
