using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Expressions;

/// <summary>
/// A step's <c>when</c>: a small expression over the run's values, parsed once and evaluated on JSON values.
/// It has comparisons (<c>== != &lt; &lt;= &gt; &gt;=</c>), <c>and</c>/<c>or</c>/<c>not</c>, <c>contains</c>,
/// <c>starts_with</c>, <c>in</c>, the functions <c>length(x)</c> and <c>empty(x)</c>, literals (numbers, 'text' or
/// "text", true, false, null, [lists]) and paths written as in templates, <c>{{fetch_output[0].subject}}</c>, or bare,
/// <c>fetch_output[0].subject</c>. Nothing in it can call code: the parser knows only these words, and evaluating
/// only reads the values the run already holds.
/// </summary>
public sealed class Condition
{
    /// <summary>Longest condition text; a condition is a short test, not a program.</summary>
    public const int MaxLength = 2000;

    /// <summary>Deepest nesting of parentheses, lists and <c>not</c>s, so a hostile text cannot exhaust the stack.</summary>
    public const int MaxDepth = 32;

    private readonly ConditionNode _root;

    private Condition(string text, ConditionNode root, IReadOnlyList<TemplateReference> references)
    {
        Text = text;
        _root = root;
        References = references;
    }

    public string Text { get; }

    /// <summary>Every path the condition reads, for validation (unknown variables, later steps).</summary>
    public IReadOnlyList<TemplateReference> References { get; }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ConditionException"/> with the position of the first error.</summary>
    public static Condition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw new ConditionException($"the condition is {text.Length} characters, over the limit of {MaxLength}; test fewer things or prepare a value in an earlier step", MaxLength);
        }
        var references = new List<TemplateReference>();
        var root = new ConditionParser(text, references).ParseAll();
        return new Condition(text, root, references);
    }

    /// <summary>
    /// True when the condition holds for the run's values. A path that does not exist reads as null; comparing
    /// values that cannot be ordered (text with a number, null with anything) throws <see cref="ConditionException"/>.
    /// </summary>
    public bool Evaluate(IReadOnlyDictionary<string, JsonNode?> scope) => ConditionValues.IsTrue(_root.Evaluate(scope));

    public override string ToString() => Text;
}
