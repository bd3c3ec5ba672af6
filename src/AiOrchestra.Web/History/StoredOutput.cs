using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AiOrchestra.Web.History;

/// <summary>
/// The cap on one stored step output (<c>Retention:MaxOutputBytes</c>): a larger output is stored as text, its first
/// part followed by a marker that gives the full size, and the full size is kept beside it. The run itself used the
/// whole output; only what is kept is cut.
/// </summary>
public static class StoredOutput
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The JSON to store and, when it was cut, the output's full size in UTF-8 bytes.</summary>
    public static (string? Json, long? FullBytes) Cap(string? json, long maxBytes)
    {
        // a string has at most 3 UTF-8 bytes per UTF-16 unit: most outputs are decided without counting
        if (json is null || (long)json.Length * 3 <= maxBytes)
        {
            return (json, null);
        }
        var size = Encoding.UTF8.GetByteCount(json);
        if (size <= maxBytes)
        {
            return (json, null);
        }
        var marker = $"… [cut: the output was {HistoryStatus.Size(size)} ({size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes); only the first {HistoryStatus.Size(maxBytes)} are stored (Retention__MaxOutputBytes)]";
        // a text output is cut as text (it stays readable), anything else as its JSON
        var text = json.StartsWith('"') ? JsonSerializer.Deserialize<string>(json) ?? "" : json;
        var budget = maxBytes - Encoding.UTF8.GetByteCount(marker);
        var bytes = 0L;
        var kept = 0;
        while (kept < text.Length)
        {
            var c = text[kept];
            // a surrogate pair is 4 bytes: 2 for each half
            var width = c < 0x80 ? 1 : c < 0x800 || char.IsSurrogate(c) ? 2 : 3;
            if (bytes + width > budget)
            {
                break;
            }
            bytes += width;
            kept++;
        }
        if (kept > 0 && char.IsHighSurrogate(text[kept - 1]))
        {
            kept--;
        }
        // stored, not shown: no need to escape non-ASCII text, which would take six bytes a letter
        return (JsonSerializer.Serialize(string.Concat(text.AsSpan(0, kept), marker), Relaxed), size);
    }
}
