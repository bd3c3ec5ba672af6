using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AiOrchestra.Engine.Steps.Gmail;

/// <summary>Reads a Gmail API message resource: the usual headers, and the body as text (text/plain preferred, HTML converted).</summary>
public static partial class GmailMessage
{
    public static JsonObject ToOutput(JsonNode message, bool withBody)
    {
        var payload = message["payload"];
        var output = new JsonObject
        {
            ["id"] = (string?)message["id"],
            ["thread_id"] = (string?)message["threadId"],
            ["subject"] = Header(payload, "Subject"),
            ["from"] = Header(payload, "From"),
            ["to"] = Header(payload, "To"),
            ["date"] = Header(payload, "Date"),
            ["snippet"] = WebUtility.HtmlDecode((string?)message["snippet"] ?? ""),
            ["labels"] = message["labelIds"]?.DeepClone() ?? new JsonArray(),
        };
        if (withBody)
        {
            output["body"] = Body(payload);
        }
        return output;
    }

    public static string? Header(JsonNode? payload, string name) =>
        (payload?["headers"] as JsonArray)?.FirstOrDefault(h => string.Equals((string?)h?["name"], name, StringComparison.OrdinalIgnoreCase))?["value"]
            is JsonValue value ? value.GetValue<string>() : null;

    /// <summary>The first text/plain part anywhere in the tree; otherwise the first text/html part as text.</summary>
    public static string Body(JsonNode? payload)
    {
        if (FindPart(payload, "text/plain") is { } plain)
        {
            return plain;
        }
        return FindPart(payload, "text/html") is { } html ? HtmlToText(html) : "";
    }

    private static string? FindPart(JsonNode? part, string mimeType)
    {
        if (part is null)
        {
            return null;
        }
        if (string.Equals((string?)part["mimeType"], mimeType, StringComparison.OrdinalIgnoreCase) && (string?)part["body"]?["data"] is { } data)
        {
            return DecodeBase64Url(data);
        }
        foreach (var child in part["parts"] as JsonArray ?? [])
        {
            if (FindPart(child, mimeType) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    public static string DecodeBase64Url(string data)
    {
        var base64 = data.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw new Execution.StepFailedException("Gmail sent a message body that is not valid base64url");
        }
    }

    /// <summary>Readable text from an HTML mail: scripts and styles dropped, blocks and line breaks kept as new lines, entities decoded.</summary>
    public static string HtmlToText(string html)
    {
        var text = HiddenElements().Replace(html, "");
        text = LineBreaks().Replace(text, "\n");
        text = Tags().Replace(text, "");
        text = WebUtility.HtmlDecode(text);
        var lines = text.Split('\n').Select(line => Spaces().Replace(line, " ").Trim());
        return BlankLines().Replace(string.Join('\n', lines), "\n\n").Trim();
    }

    [GeneratedRegex(@"<(script|style|head)\b[^>]*>.*?</\1\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex HiddenElements();

    [GeneratedRegex(@"<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote)\s*>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreaks();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"[ \t\r\f\v\u00a0]+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex BlankLines();
}
