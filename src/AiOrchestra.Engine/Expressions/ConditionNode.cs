using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Expressions;

/// <summary>One node of a parsed condition; evaluating reads the scope and nothing else.</summary>
internal abstract class ConditionNode
{
    public abstract JsonNode? Evaluate(IReadOnlyDictionary<string, JsonNode?> scope);
}

internal sealed class LiteralNode(JsonNode? value) : ConditionNode
{
    // Literals are shared by every evaluation; comparisons only read them.
    public override JsonNode? Evaluate(IReadOnlyDictionary<string, JsonNode?> scope) => value;
}

internal sealed class ListNode(IReadOnlyList<ConditionNode> items) : ConditionNode
{
    public override JsonNode? Evaluate(IReadOnlyDictionary<string, JsonNode?> scope)
    {
        var list = new JsonArray();
        foreach (var item in items)
        {
            list.Add(item.Evaluate(scope)?.DeepClone());
        }
        return list;
    }
}

/// <summary>A path into the run's values; a variable or field that does not exist reads as null.</summary>
internal sealed class PathNode(TemplateReference reference) : ConditionNode
{
    public override JsonNode? Evaluate(IReadOnlyDictionary<string, JsonNode?> scope)
    {
        if (!scope.TryGetValue(reference.Name, out var value))
        {
            return null;
        }
        foreach (var segment in reference.Path)
        {
            value = (segment, value) switch
            {
                (int index, JsonArray array) when index < array.Count => array[index],
                (string field, JsonObject obj) when obj.TryGetPropertyValue(field, out var child) => child,
                _ => null,
            };
            if (value is null)
            {
                return null;
            }
        }
        return value;
    }
}

internal sealed class NotNode(ConditionNode operand) : ConditionNode
{
    public override JsonNode? Evaluate(IReadOnlyDictionary<string, JsonNode?> scope) =>
        ConditionValues.Bool(!ConditionValues.IsTrue(operand.Evaluate(scope)));
}

/// <summary><c>and</c> / <c>or</c>, short-circuiting: the right side is not evaluated when the left decides.</summary>
internal sealed class LogicNode(bool isAnd, ConditionNode left, ConditionNode right) : ConditionNode
{
    public override JsonNode? Evaluate(IReadOnlyDictionary<string, JsonNode?> scope)
    {
        var first = ConditionValues.IsTrue(left.Evaluate(scope));
        if (isAnd ? !first : first)
        {
            return ConditionValues.Bool(first);
        }
        return ConditionValues.Bool(ConditionValues.IsTrue(right.Evaluate(scope)));
    }
}

internal sealed class CompareNode(string op, ConditionNode left, ConditionNode right) : ConditionNode
{
    public override JsonNode? Evaluate(IReadOnlyDictionary<string, JsonNode?> scope)
    {
        var a = left.Evaluate(scope);
        var b = right.Evaluate(scope);
        return ConditionValues.Bool(op switch
        {
            "==" => ConditionValues.Equal(a, b),
            "!=" => !ConditionValues.Equal(a, b),
            "contains" => ConditionValues.Contains(a, b, op),
            "in" => ConditionValues.Contains(b, a, op),
            "starts_with" => ConditionValues.StartsWith(a, b),
            _ => ConditionValues.Order(op, a, b),
        });
    }
}

internal sealed class FunctionNode(string name, ConditionNode argument) : ConditionNode
{
    public override JsonNode? Evaluate(IReadOnlyDictionary<string, JsonNode?> scope)
    {
        var value = argument.Evaluate(scope);
        return name == "length" ? JsonValue.Create(ConditionValues.Length(value)) : ConditionValues.Bool(ConditionValues.IsEmpty(value));
    }
}

/// <summary><c>at(list, index)</c>: the list's item at a computed place (such as <c>item_index</c>); null past its end.</summary>
internal sealed class AtNode(ConditionNode list, ConditionNode index) : ConditionNode
{
    public override JsonNode? Evaluate(IReadOnlyDictionary<string, JsonNode?> scope)
    {
        var items = list.Evaluate(scope);
        var place = index.Evaluate(scope);
        if (items is null)
        {
            return null;
        }
        if (items is not JsonArray array || !ConditionValues.TryIndex(place, out var i))
        {
            throw new ConditionException($"the condition at() takes a list and a whole number, but got at({Workflows.JsonValues.Describe(items)}, {Workflows.JsonValues.Describe(place)})");
        }
        return i >= 0 && i < array.Count ? array[i] : null;
    }
}
