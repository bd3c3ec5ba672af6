using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Expressions;

/// <summary>
/// Recursive descent over the condition text. Precedence, loosest first: <c>or</c>, <c>and</c>, <c>not</c>, one
/// comparison (<c>== != &lt; &lt;= &gt; &gt;= contains starts_with in</c>), then values.
/// </summary>
internal sealed class ConditionParser(string text, List<TemplateReference> references)
{
    private static readonly string[] Comparisons = ["==", "!=", "<=", ">=", "<", ">"];
    private static readonly string[] WordComparisons = ["contains", "starts_with", "in"];
    private static readonly string[] Functions = ["length", "empty", "at"];
    private static readonly string[] Keywords = ["and", "or", "not", "true", "false", "null", "contains", "starts_with", "in", "length", "empty", "at"];

    private int _at;
    private int _depth;

    public ConditionNode ParseAll()
    {
        SkipSpace();
        if (_at >= text.Length)
        {
            throw Error("the condition is empty; write a test such as {{check_output.ok}} == true, or remove \"when\"");
        }
        var root = ParseOr();
        SkipSpace();
        if (At("&&") || At("||"))
        {
            throw Error($"{Found()} is not part of the language; write 'and', 'or' or 'not'");
        }
        if (_at < text.Length)
        {
            throw Error($"unexpected {Found()}; join tests with 'and' or 'or'");
        }
        return root;
    }

    private ConditionNode ParseOr()
    {
        var left = ParseAnd();
        while (TryWord("or"))
        {
            left = new LogicNode(false, left, ParseAnd());
        }
        return left;
    }

    private ConditionNode ParseAnd()
    {
        var left = ParseNot();
        while (TryWord("and"))
        {
            left = new LogicNode(true, left, ParseNot());
        }
        return left;
    }

    private ConditionNode ParseNot()
    {
        if (TryWord("not"))
        {
            Enter();
            var operand = ParseNot();
            _depth--;
            return new NotNode(operand);
        }
        return ParseComparison();
    }

    private ConditionNode ParseComparison()
    {
        var left = ParseValue();
        var op = TryComparison();
        if (op is null)
        {
            return left;
        }
        var right = ParseValue();
        SkipSpace();
        var start = _at;
        if (TryComparison() is { } second)
        {
            throw Error($"'{second}' follows another comparison; compare two values at a time and join the tests with 'and'", start);
        }
        return new CompareNode(op, left, right);
    }

    private ConditionNode ParseValue()
    {
        SkipSpace();
        if (_at >= text.Length)
        {
            throw Error("the condition ends where a value was expected (a path such as {{step_output}}, a number, 'text', true, false or null)");
        }
        var c = text[_at];
        if (c == '(')
        {
            _at++;
            Enter();
            var inner = ParseOr();
            Expect(')', "a '(' is never closed; add ')'");
            _depth--;
            return inner;
        }
        if (c == '[')
        {
            return ParseList();
        }
        if (c is '\'' or '"')
        {
            return new LiteralNode(JsonValue.Create(ParseString()));
        }
        if (char.IsAsciiDigit(c) || (c == '-' && _at + 1 < text.Length && char.IsAsciiDigit(text[_at + 1])))
        {
            return new LiteralNode(ParseNumber());
        }
        if (c == '{' && At("{{"))
        {
            return ParseBracedPath();
        }
        if (char.IsAsciiLetter(c) || c == '_')
        {
            return ParseWordOrPath();
        }
        if (At("&&") || At("||") || c == '!')
        {
            throw Error($"{Found()} is not part of the language; write 'and', 'or' or 'not'");
        }
        throw Error($"expected a value (a path such as {{{{step_output}}}}, a number, 'text', true, false, null or a [list]), found {Found()}");
    }

    private ConditionNode ParseList()
    {
        _at++; // [
        Enter();
        var items = new List<ConditionNode>();
        SkipSpace();
        if (!TryChar(']'))
        {
            do
            {
                items.Add(ParseValue());
                SkipSpace();
            }
            while (TryChar(','));
            Expect(']', "a list is never closed; add ']' (items are separated by ',')");
        }
        _depth--;
        return new ListNode(items);
    }

    private string ParseString()
    {
        var quote = text[_at];
        var start = _at;
        _at++;
        var value = new StringBuilder();
        while (_at < text.Length && text[_at] != quote)
        {
            if (text[_at] == '\\' && _at + 1 < text.Length)
            {
                _at++;
                value.Append(text[_at] switch { 'n' => '\n', 't' => '\t', var other => other });
            }
            else
            {
                value.Append(text[_at]);
            }
            _at++;
        }
        if (_at >= text.Length)
        {
            throw Error($"the text starting with {quote} is never closed; end it with {quote}", start);
        }
        _at++;
        return value.ToString();
    }

    private JsonNode ParseNumber()
    {
        var start = _at;
        if (text[_at] == '-')
        {
            _at++;
        }
        while (_at < text.Length && (char.IsAsciiDigit(text[_at]) || text[_at] is '.' or 'e' or 'E'
            || (text[_at] is '+' or '-' && text[_at - 1] is 'e' or 'E')))
        {
            _at++;
        }
        var written = text[start.._at];
        if (!double.TryParse(written, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
        {
            throw Error($"'{written}' is not a number", start);
        }
        return JsonValue.Create(number);
    }

    private ConditionNode ParseBracedPath()
    {
        var start = _at;
        var close = text.IndexOf("}}", _at + 2, StringComparison.Ordinal);
        if (close < 0)
        {
            throw Error("'{{' is never closed; add '}}' after the path", start);
        }
        var reference = ParseReference(text[(start + 2)..close], start);
        _at = close + 2;
        return Path(reference);
    }

    private ConditionNode ParseWordOrPath()
    {
        var start = _at;
        var word = ReadName();
        if (Array.IndexOf(Keywords, word) >= 0)
        {
            switch (word)
            {
                case "true":
                    return new LiteralNode(JsonValue.Create(true));
                case "false":
                    return new LiteralNode(JsonValue.Create(false));
                case "null":
                    return new LiteralNode(null);
                case "length" or "empty":
                    SkipSpace();
                    Expect('(', $"{word} is a function: write {word}(value)");
                    Enter();
                    var argument = ParseOr();
                    Expect(')', $"{word}( is never closed; add ')'");
                    _depth--;
                    return new FunctionNode(word, argument);
                case "at":
                    SkipSpace();
                    Expect('(', "at is a function: write at(list, index), e.g. at(triage_output, item_index)");
                    Enter();
                    var list = ParseOr();
                    Expect(',', "at takes a list and an index: at(list, index)");
                    var index = ParseOr();
                    Expect(')', "at( is never closed; add ')'");
                    _depth--;
                    return new AtNode(list, index);
                default:
                    throw Error($"'{word}' needs a value before it", start);
            }
        }
        SkipSpace();
        if (_at < text.Length && text[_at] == '(')
        {
            throw Error($"'{word}' is not a function; the functions are {string.Join(", ", Functions)}, nothing else can be called", start);
        }
        // a bare path: the name, then .field and [index] parts with no spaces between
        _at = start + word.Length;
        while (_at < text.Length)
        {
            if (text[_at] == '.' && _at + 1 < text.Length && (char.IsAsciiLetterOrDigit(text[_at + 1]) || text[_at + 1] == '_'))
            {
                _at++;
                ReadName();
            }
            else if (text[_at] == '[')
            {
                var end = text.IndexOf(']', _at);
                _at = end < 0 ? text.Length : end + 1;
            }
            else
            {
                break;
            }
        }
        return Path(ParseReference(text[start.._at], start));
    }

    private TemplateReference ParseReference(string path, int position)
    {
        try
        {
            return TemplateReference.Parse(path, position);
        }
        catch (TemplateException e)
        {
            throw new ConditionException($"at position {position}: {e.Message.TrimEnd('.')}", position);
        }
    }

    private PathNode Path(TemplateReference reference)
    {
        references.Add(reference);
        return new PathNode(reference);
    }

    private string? TryComparison()
    {
        SkipSpace();
        foreach (var op in Comparisons)
        {
            if (At(op))
            {
                _at += op.Length;
                return op;
            }
        }
        if (At("="))
        {
            throw Error("'=' alone is not a comparison; write '==' to compare");
        }
        foreach (var op in WordComparisons)
        {
            if (TryWord(op))
            {
                return op;
            }
        }
        return null;
    }

    private bool TryWord(string word)
    {
        SkipSpace();
        if (!At(word))
        {
            return false;
        }
        var end = _at + word.Length;
        if (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
        {
            return false;
        }
        _at = end;
        return true;
    }

    private bool TryChar(char c)
    {
        SkipSpace();
        if (_at < text.Length && text[_at] == c)
        {
            _at++;
            return true;
        }
        return false;
    }

    private void Expect(char c, string message)
    {
        if (!TryChar(c))
        {
            throw Error(message);
        }
    }

    private string ReadName()
    {
        var start = _at;
        while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_'))
        {
            _at++;
        }
        return text[start.._at];
    }

    private void Enter()
    {
        if (++_depth > Condition.MaxDepth)
        {
            throw Error($"the condition nests deeper than {Condition.MaxDepth} levels; simplify it");
        }
    }

    private void SkipSpace()
    {
        while (_at < text.Length && char.IsWhiteSpace(text[_at]))
        {
            _at++;
        }
    }

    private bool At(string token) => string.CompareOrdinal(text, _at, token, 0, token.Length) == 0 && _at + token.Length <= text.Length;

    private string Found() => _at >= text.Length ? "the end of the condition" : $"'{text[_at..Math.Min(text.Length, _at + 12)]}'";

    private ConditionException Error(string message, int? position = null)
    {
        var at = position ?? _at;
        return new ConditionException($"at position {at}: {message}", at);
    }
}
