using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Expressions;

/// <summary>What the condition language's operators do to JSON values.</summary>
internal static class ConditionValues
{
    /// <summary>
    /// Truth of a value where a yes/no is needed (<c>and</c>, <c>or</c>, <c>not</c>, the whole condition): null, false,
    /// 0, "" and empty lists and objects are false; everything else is true.
    /// </summary>
    public static bool IsTrue(JsonNode? value) => value switch
    {
        null => false,
        JsonArray array => array.Count > 0,
        JsonObject obj => obj.Count > 0,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            JsonValueKind.String => v.GetValue<string>().Length > 0,
            JsonValueKind.Number => Number(v) != 0,
            _ => true,
        },
        _ => true,
    };

    public static JsonNode Bool(bool value) => JsonValue.Create(value);

    /// <summary>Equality of JSON values without conversions: 1 == 1.0, but "1" != 1 and null == null only.</summary>
    public static bool Equal(JsonNode? a, JsonNode? b)
    {
        var kindA = Kind(a);
        var kindB = Kind(b);
        if (kindA != kindB)
        {
            return false;
        }
        return kindA switch
        {
            JsonValueKind.Null => true,
            JsonValueKind.Number => Number((JsonValue)a!) == Number((JsonValue)b!),
            JsonValueKind.String => string.Equals(Text(a), Text(b), StringComparison.Ordinal),
            JsonValueKind.Array => a!.AsArray().Count == b!.AsArray().Count && a.AsArray().Select((item, i) => Equal(item, b.AsArray()[i])).All(same => same),
            JsonValueKind.Object => a!.AsObject().Count == b!.AsObject().Count
                && a.AsObject().All(p => b.AsObject().TryGetPropertyValue(p.Key, out var other) && Equal(p.Value, other)),
            _ => true, // true == true, false == false: true and false are different kinds
        };
    }

    /// <summary><c>text contains part</c>, <c>list contains item</c>, <c>object contains key</c>; <c>in</c> is the same turned round.</summary>
    public static bool Contains(JsonNode? container, JsonNode? part, string op) => container switch
    {
        JsonArray array => array.Any(item => Equal(item, part)),
        JsonObject obj when Kind(part) == JsonValueKind.String => obj.ContainsKey(Text(part)),
        _ when Kind(container) == JsonValueKind.String && Kind(part) == JsonValueKind.String =>
            Text(container).Contains(Text(part), StringComparison.Ordinal),
        _ when container is null => false,
        _ => throw Mismatch(op == "in"
            ? $"'in' looks for a value in a list, a text in a text or a key in an object, but got {Describe(part)} in {Describe(container)}"
            : $"'contains' looks for a value in a list, a text in a text or a key in an object, but got {Describe(container)} contains {Describe(part)}"),
    };

    public static bool StartsWith(JsonNode? text, JsonNode? prefix)
    {
        if (text is null)
        {
            return false;
        }
        if (Kind(text) != JsonValueKind.String || Kind(prefix) != JsonValueKind.String)
        {
            throw Mismatch($"'starts_with' compares two texts, but got {Describe(text)} starts_with {Describe(prefix)}");
        }
        return Text(text).StartsWith(Text(prefix), StringComparison.Ordinal);
    }

    /// <summary><c>&lt; &lt;= &gt; &gt;=</c> on two numbers or two texts (ordinal); anything else is a mistake in the condition.</summary>
    public static bool Order(string op, JsonNode? a, JsonNode? b)
    {
        int comparison;
        if (Kind(a) == JsonValueKind.Number && Kind(b) == JsonValueKind.Number)
        {
            comparison = Number((JsonValue)a!).CompareTo(Number((JsonValue)b!));
        }
        else if (Kind(a) == JsonValueKind.String && Kind(b) == JsonValueKind.String)
        {
            comparison = string.CompareOrdinal(Text(a), Text(b));
        }
        else
        {
            throw Mismatch($"'{op}' compares two numbers or two texts, but got {Describe(a)} {op} {Describe(b)}");
        }
        return op switch
        {
            "<" => comparison < 0,
            "<=" => comparison <= 0,
            ">" => comparison > 0,
            _ => comparison >= 0,
        };
    }

    /// <summary>Characters of a text, items of a list, fields of an object; null has length 0.</summary>
    public static int Length(JsonNode? value) => value switch
    {
        null => 0,
        JsonArray array => array.Count,
        JsonObject obj => obj.Count,
        _ when Kind(value) == JsonValueKind.String => Text(value).Length,
        _ => throw Mismatch($"length() counts a text, a list or an object, but got {Describe(value)}"),
    };

    /// <summary>Null, "", [] and {} are empty; a number or a boolean never is.</summary>
    public static bool IsEmpty(JsonNode? value) => value switch
    {
        null => true,
        JsonArray array => array.Count == 0,
        JsonObject obj => obj.Count == 0,
        _ => Kind(value) switch
        {
            JsonValueKind.String => Text(value).Length == 0,
            JsonValueKind.Null => true,
            _ => false,
        },
    };

    public static bool TryIndex(JsonNode? value, out int index)
    {
        index = 0;
        if (Kind(value) != JsonValueKind.Number)
        {
            return false;
        }
        var number = Number((JsonValue)value!);
        if (number != Math.Floor(number) || number is < int.MinValue or > int.MaxValue)
        {
            return false;
        }
        index = (int)number;
        return true;
    }

    private static JsonValueKind Kind(JsonNode? value) => value switch
    {
        null => JsonValueKind.Null,
        JsonArray => JsonValueKind.Array,
        JsonObject => JsonValueKind.Object,
        _ => value.GetValueKind(),
    };

    private static string Text(JsonNode? value) => value!.GetValue<string>();

    private static double Number(JsonValue value)
    {
        if (value.TryGetValue<double>(out var number))
        {
            return number;
        }
        return double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static string Describe(JsonNode? value) => JsonValues.Describe(value);

    private static ConditionException Mismatch(string message) => new($"the condition {message}");
}
