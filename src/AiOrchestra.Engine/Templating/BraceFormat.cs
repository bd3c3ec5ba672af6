using System.Text;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Templating;

/// <summary>
/// The original AI-Orchestra's single-brace placeholders, as Python's <c>str.format</c> wrote them: <c>{name}</c>
/// (with the same <c>.field</c> and <c>[index]</c> paths as <c>{{ }}</c>), <c>{{</c> and <c>}}</c> for literal braces.
/// A brace that opens no valid placeholder (JSON in a prompt, say) stays text. Data substitution only, like
/// <see cref="Template"/>: a filled-in value is never scanned again.
/// </summary>
public static class BraceFormat
{
    /// <summary>The names of the placeholders in <paramref name="text"/>, in order of first use.</summary>
    public static IReadOnlyList<string> Names(string text)
    {
        var names = new List<string>();
        foreach (var (reference, _, _) in Placeholders(text))
        {
            if (!names.Contains(reference.Name, StringComparer.Ordinal))
            {
                names.Add(reference.Name);
            }
        }
        return names;
    }

    /// <summary>
    /// True when <paramref name="text"/> has a single-brace placeholder and no valid <c>{{ }}</c> reference: the
    /// original's prompts double braces only around literal text such as <c>{{"ok": true}}</c>, which is no reference.
    /// </summary>
    public static bool IsBraceStyle(string text)
    {
        if (!Placeholders(text).Any())
        {
            return false;
        }
        try
        {
            return !Template.Parse(text).HasReferences;
        }
        catch (TemplateException)
        {
            return true;
        }
    }

    /// <summary>
    /// <paramref name="text"/> with each placeholder filled from <paramref name="values"/>: a string as itself, any
    /// other value as compact JSON. A placeholder with no value throws <see cref="TemplateException"/> naming it.
    /// </summary>
    public static string Format(string text, IReadOnlyDictionary<string, JsonNode?> values, RenderBudget? budget = null)
    {
        budget ??= RenderBudget.Default();
        var builder = new StringBuilder(text.Length);
        var last = 0;
        foreach (var (reference, start, end) in Placeholders(text))
        {
            AppendLiteral(builder, text, last, start);
            if (!values.ContainsKey(reference.Name))
            {
                throw new TemplateException($"placeholder '{{{reference.Text}}}' has no value: give '{reference.Name}' as a variable");
            }
            var value = reference.Resolve(values);
            budget.Spend(value);
            builder.Append(Template.AsText(value));
            last = end;
        }
        AppendLiteral(builder, text, last, text.Length);
        return builder.ToString();
    }

    /// <summary>Copies literal text, turning the doubled braces Python's format escapes with into single ones.</summary>
    private static void AppendLiteral(StringBuilder builder, string text, int from, int to) =>
        builder.Append(text.AsSpan(from, to - from).ToString()
            .Replace("{{", "{", StringComparison.Ordinal).Replace("}}", "}", StringComparison.Ordinal));

    private static IEnumerable<(TemplateReference Reference, int Start, int End)> Placeholders(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '{' && i + 1 < text.Length && text[i + 1] == '{')
            {
                i += 2;
                continue;
            }
            if (text[i] == '{')
            {
                var close = text.IndexOf('}', i + 1);
                var inner = close < 0 ? "" : text[(i + 1)..close];
                if (inner.Length > 0 && inner.Length <= 200 && IsPlaceholder(inner))
                {
                    yield return (TemplateReference.Parse(inner, i), i, close + 1);
                    i = close + 1;
                    continue;
                }
            }
            i++;
        }
    }

    private static bool IsPlaceholder(string inner)
    {
        if (!(char.IsAsciiLetter(inner[0]) || inner[0] == '_'))
        {
            return false;
        }
        try
        {
            TemplateReference.Parse(inner, 0);
            return !inner.Any(char.IsWhiteSpace);
        }
        catch (TemplateException)
        {
            return false;
        }
    }
}
