using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Templating;

/// <summary>
/// One <c>{{ name.path[0].field }}</c> reference: a variable name and an optional path into its value.
/// </summary>
public sealed class TemplateReference
{
    private TemplateReference(string name, IReadOnlyList<object> path, string text, int position)
    {
        Name = name;
        Path = path;
        Text = text;
        Position = position;
    }

    /// <summary>The variable's name: a run input, a workflow default, <c>step_output</c> or a step id.</summary>
    public string Name { get; }

    /// <summary>Path segments after the name: a <see cref="string"/> for <c>.field</c>, an <see cref="int"/> for <c>[index]</c>.</summary>
    public IReadOnlyList<object> Path { get; }

    /// <summary>The reference as written between the braces, without surrounding whitespace.</summary>
    public string Text { get; }

    /// <summary>Where the opening braces stand in the template text.</summary>
    public int Position { get; }

    internal static TemplateReference Parse(string expression, int position)
    {
        var text = expression.Trim();
        var i = 0;
        var name = ReadName(text, ref i);
        if (name.Length == 0)
        {
            throw Invalid(expression, position, "it must start with a variable name of letters, digits and '_'");
        }
        var path = new List<object>();
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                i++;
                var field = ReadName(text, ref i);
                if (field.Length == 0)
                {
                    throw Invalid(expression, position, "a '.' must be followed by a field name");
                }
                path.Add(field);
            }
            else if (text[i] == '[')
            {
                var end = text.IndexOf(']', i);
                if (end < 0 || !int.TryParse(text.AsSpan(i + 1, end - i - 1), out var index) || index < 0)
                {
                    throw Invalid(expression, position, "'[' must hold a non-negative index and be closed with ']'");
                }
                path.Add(index);
                i = end + 1;
            }
            else
            {
                throw Invalid(expression, position, $"'{text[i]}' is not allowed here; only names, '.field' and '[index]' are");
            }
        }
        return new TemplateReference(name, path, text, position);
    }

    /// <summary>Looks the value up; throws <see cref="TemplateException"/> naming what is missing.</summary>
    public JsonNode? Resolve(IReadOnlyDictionary<string, JsonNode?> scope)
    {
        if (!scope.TryGetValue(Name, out var value))
        {
            throw new TemplateException($"unknown variable '{Name}'");
        }
        var walked = Name;
        foreach (var segment in Path)
        {
            value = (segment, value) switch
            {
                (int index, JsonArray array) when index < array.Count => array[index],
                (int index, JsonArray array) => throw new TemplateException(
                    $"'{walked}' has {array.Count} item(s), so '[{index}]' does not exist"),
                (string field, JsonObject obj) when obj.TryGetPropertyValue(field, out var child) => child,
                (string field, JsonObject obj) => throw new TemplateException(
                    $"'{walked}' has no field '{field}'" + (obj.Count > 0 ? $" (it has: {string.Join(", ", obj.Select(p => p.Key))})" : "")),
                _ => throw new TemplateException(
                    $"'{walked}' is {Describe(value)}, so '{(segment is int i ? $"[{i}]" : $".{segment}")}' cannot be read from it"),
            };
            walked += segment is int n ? $"[{n}]" : $".{segment}";
        }
        return value;
    }

    private static string ReadName(string text, ref int i)
    {
        var start = i;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_' || text[i] == '-'))
        {
            i++;
        }
        return text[start..i];
    }

    private static string Describe(JsonNode? value) => value switch
    {
        null => "null",
        JsonArray => "an array",
        JsonObject => "an object",
        _ when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => $"a {value.GetValueKind().ToString().ToLowerInvariant()}",
    };

    private static TemplateException Invalid(string expression, int position, string why) =>
        new($"'{{{{{expression}}}}}' at position {position} is not a valid reference: {why}.");
}
