using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Templating;

/// <summary>
/// A parsed <c>{{ }}</c> template. It is data substitution only: references are looked up,
/// never evaluated, and a rendered value is never scanned for braces again.
/// </summary>
public sealed class Template
{
    // Rendered text goes into prompts, pages and files, not into a <script>: keep '&', '<' and accents as they are.
    private static readonly JsonSerializerOptions TextJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly IReadOnlyList<object> _parts; // string literals and TemplateReferences, in order

    private Template(IReadOnlyList<object> parts, IReadOnlyList<TemplateReference> references)
    {
        _parts = parts;
        References = references;
    }

    /// <summary>Every <c>{{ }}</c> reference in the text, in order of appearance.</summary>
    public IReadOnlyList<TemplateReference> References { get; }

    /// <summary>True when the whole text is exactly one reference, so rendering can keep the value's JSON type.</summary>
    public bool IsSingleReference => _parts.Count == 1 && _parts[0] is TemplateReference;

    /// <summary>True when the text holds at least one reference (a literal-only text renders as itself).</summary>
    public bool HasReferences => References.Count > 0;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="TemplateException"/> naming the position of the first syntax error.</summary>
    public static Template Parse(string text)
    {
        var parts = new List<object>();
        var references = new List<TemplateReference>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '\\' && Matches(text, i + 1, "{{"))
            {
                literal.Append("{{");
                i += 3;
                continue;
            }
            if (Matches(text, i, "{{"))
            {
                var close = text.IndexOf("}}", i + 2, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new TemplateException(
                        $"'{{{{' at position {i} is never closed: add '}}}}' after the variable name, or write '\\{{{{' for a literal '{{{{'.");
                }
                var expression = text[(i + 2)..close];
                var reference = TemplateReference.Parse(expression, i);
                if (literal.Length > 0)
                {
                    parts.Add(literal.ToString());
                    literal.Clear();
                }
                parts.Add(reference);
                references.Add(reference);
                i = close + 2;
                continue;
            }
            literal.Append(text[i]);
            i++;
        }
        if (literal.Length > 0)
        {
            parts.Add(literal.ToString());
        }
        return new Template(parts, references);
    }

    /// <summary>
    /// Renders the template as text. Strings render as themselves, numbers and booleans as JSON,
    /// objects and arrays as compact JSON, null as the empty string.
    /// Throws <see cref="TemplateException"/> when a variable or a path into it does not exist, and
    /// <see cref="TemplateLimitException"/> as soon as the text grows past <paramref name="budget"/> (1 MiB when none is given).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, JsonNode?> scope, RenderBudget? budget = null)
    {
        budget ??= RenderBudget.Default();
        if (_parts.Count == 1 && _parts[0] is string only)
        {
            budget.Spend(only);
            return only;
        }
        var result = new StringBuilder();
        foreach (var part in _parts)
        {
            var text = part as string ?? AsText(((TemplateReference)part).Resolve(scope));
            budget.Spend(text);
            result.Append(text);
        }
        return result.ToString();
    }

    /// <summary>
    /// Renders to a JSON value: a text that is exactly one reference yields the referenced value
    /// with its type kept (an array stays an array); anything else yields a string.
    /// </summary>
    public JsonNode? RenderValue(IReadOnlyDictionary<string, JsonNode?> scope, RenderBudget? budget = null)
    {
        if (!IsSingleReference)
        {
            return JsonValue.Create(Render(scope, budget));
        }
        var value = ((TemplateReference)_parts[0]).Resolve(scope);
        (budget ?? RenderBudget.Default()).Spend(value);
        return value?.DeepClone();
    }

    /// <summary>
    /// Renders every string inside a JSON value (object keys are left as they are). The whole value shares one
    /// <paramref name="budget"/> (1 MiB when none is given): rendering stops as soon as it is spent.
    /// </summary>
    public static JsonNode? RenderNode(JsonNode? node, IReadOnlyDictionary<string, JsonNode?> scope, RenderBudget? budget = null)
    {
        budget ??= RenderBudget.Default();
        return node switch
        {
            null => null,
            JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, RenderNode(p.Value, scope, budget)))),
            JsonArray array => new JsonArray(array.Select(item => RenderNode(item, scope, budget)).ToArray()),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => Parse(value.GetValue<string>()).RenderValue(scope, budget),
            _ => node.DeepClone(),
        };
    }

    /// <summary>Every reference inside the strings of a JSON value, with the JSON path of the string that holds it.</summary>
    public static IEnumerable<(string Path, TemplateReference Reference)> FindReferences(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    foreach (var found in FindReferences(value, $"{path}.{key}"))
                    {
                        yield return found;
                    }
                }
                break;
            case JsonArray array:
                for (var index = 0; index < array.Count; index++)
                {
                    foreach (var found in FindReferences(array[index], $"{path}[{index}]"))
                    {
                        yield return found;
                    }
                }
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                foreach (var reference in Parse(value.GetValue<string>()).References)
                {
                    yield return (path, reference);
                }
                break;
        }
    }

    /// <summary>How a value is written into text: strings as themselves, everything else as compact JSON.</summary>
    public static string AsText(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(TextJson),
    };

    private static bool Matches(string text, int at, string token) =>
        at + token.Length <= text.Length && string.CompareOrdinal(text, at, token, 0, token.Length) == 0;
}
