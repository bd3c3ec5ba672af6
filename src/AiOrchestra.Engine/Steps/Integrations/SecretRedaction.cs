using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;

namespace AiOrchestra.Engine.Steps.Integrations;

/// <summary>
/// The configured secrets' values at one moment, each with the name of its setting, searched for all at once
/// (<see cref="SearchValues{T}"/> over strings: one pass over the text whatever the number of secrets). Every value is
/// also searched for as JSON and as a URL write it, so a secret inside a stored JSON output or an echoed query is found.
/// </summary>
public sealed class SecretRedaction
{
    /// <summary>Shorter values are not redacted: they would mask ordinary words; real keys and tokens are long.</summary>
    public const int MinimumLength = 8;

    public static readonly SecretRedaction None = new([]);

    private readonly SearchValues<string>? _search;

    // longest first: where two values start at the same place, the longer one is replaced whole
    private readonly (string Value, string Replacement)[] _values;

    public SecretRedaction(IEnumerable<(string Name, string Value)> secrets)
    {
        var forms = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in secrets)
        {
            if (value.Length < MinimumLength)
            {
                continue;
            }
            var replacement = Replacement(name);
            foreach (var form in new[] { value, JavaScriptEncoder.Default.Encode(value), Uri.EscapeDataString(value) })
            {
                forms.TryAdd(form, replacement);
            }
        }
        _values = forms.Select(f => (f.Key, f.Value)).OrderByDescending(f => f.Key.Length).ToArray();
        _search = _values.Length == 0 ? null : SearchValues.Create(_values.Select(v => v.Value).ToArray(), StringComparison.Ordinal);
    }

    /// <summary>True when no secret is configured: there is nothing to look for.</summary>
    public bool IsEmpty => _search is null;

    /// <summary>
    /// How many characters at the end of <paramref name="text"/> may be the beginning of a secret's value: a text
    /// streamed in pieces holds them back until the next piece shows whether the value follows.
    /// </summary>
    public int UnfinishedEnd(string text)
    {
        var held = 0;
        foreach (var (value, _) in _values)
        {
            for (var start = Math.Max(0, text.Length - value.Length + 1); start < text.Length - held; start++)
            {
                if (text[start] == value[0] && value.AsSpan().StartsWith(text.AsSpan(start)))
                {
                    held = text.Length - start;
                    break;
                }
            }
        }
        return held;
    }

    /// <summary>What a secret's value is replaced with: it names the setting, never shows the value, and is valid inside JSON and Markdown.</summary>
    public static string Replacement(string name) => $"[redacted: {name}]";

    public bool Contains(ReadOnlySpan<char> text) => _search is not null && text.ContainsAny(_search);

    /// <summary><paramref name="text"/> with every secret's value replaced by <see cref="Replacement"/>; the same instance when none appears.</summary>
    public string Redact(string text)
    {
        if (_search is null)
        {
            return text;
        }
        var at = text.AsSpan().IndexOfAny(_search);
        if (at < 0)
        {
            return text;
        }
        var redacted = new StringBuilder(text.Length);
        var from = 0;
        while (at >= 0)
        {
            at += from;
            var (value, replacement) = _values.First(v => text.AsSpan(at).StartsWith(v.Value, StringComparison.Ordinal));
            redacted.Append(text, from, at - from).Append(replacement);
            from = at + value.Length;
            at = text.AsSpan(from).IndexOfAny(_search);
        }
        return redacted.Append(text, from, text.Length - from).ToString();
    }
}
