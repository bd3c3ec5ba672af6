using System.Text.Json.Nodes;
using AiOrchestra.Engine.Expressions;

namespace AiOrchestra.Engine.Tests.Expressions;

public sealed class ConditionTests
{
    private static readonly Dictionary<string, JsonNode?> Scope = new()
    {
        ["triage_output"] = JsonNode.Parse("""{"important": true, "score": 7, "label": "urgent", "tags": ["a", "b"], "none": null, "meta": {}}"""),
        ["count"] = 3,
        ["ratio"] = 2.5,
        ["name"] = "Ada Lovelace",
        ["empty_text"] = "",
        ["flag"] = false,
        ["nothing"] = null,
        ["list"] = JsonNode.Parse("""[1, 2, {"x": 1}]"""),
        ["skipped_output"] = null,
    };

    private static bool Eval(string text) => Condition.Parse(text).Evaluate(Scope);

    [Theory]
    // comparisons on numbers, texts, booleans and null
    [InlineData("{{triage_output.important}} == true", true)]
    [InlineData("{{triage_output.important}} != true", false)]
    [InlineData("{{triage_output.score}} > 5", true)]
    [InlineData("{{triage_output.score}} >= 7", true)]
    [InlineData("{{triage_output.score}} < 7", false)]
    [InlineData("{{triage_output.score}} <= 7.0", true)]
    [InlineData("count == 3.0", true)]
    [InlineData("ratio > -1e2", true)]
    [InlineData("name == 'Ada Lovelace'", true)]
    [InlineData("name == \"Ada Lovelace\"", true)]
    [InlineData("name < 'Bob'", true)]
    [InlineData("nothing == null", true)]
    [InlineData("flag == false", true)]
    [InlineData("flag == null", false)]
    // no conversions between types
    [InlineData("count == '3'", false)]
    [InlineData("count != '3'", true)]
    [InlineData("flag == 0", false)]
    // deep equality of lists and objects
    [InlineData("list == [1, 2, {{list[2]}}]", true)]
    [InlineData("triage_output.tags == ['a', 'b']", true)]
    [InlineData("triage_output.tags == ['b', 'a']", false)]
    // and, or, not with precedence and parentheses
    [InlineData("count == 3 and name == 'x'", false)]
    [InlineData("count == 3 or name == 'x'", true)]
    [InlineData("not flag", true)]
    [InlineData("not count == 3", false)]
    [InlineData("count == 1 or count == 3 and flag", false)]
    [InlineData("(count == 1 or count == 3) and not flag", true)]
    [InlineData("not not {{triage_output.important}}", true)]
    // contains, starts_with, in
    [InlineData("name contains 'Love'", true)]
    [InlineData("name contains 'love'", false)]
    [InlineData("triage_output.tags contains 'b'", true)]
    [InlineData("list contains {{list[2]}}", true)]
    [InlineData("triage_output contains 'label'", true)]
    [InlineData("name starts_with 'Ada'", true)]
    [InlineData("name starts_with 'Lovelace'", false)]
    [InlineData("triage_output.label in ['urgent', 'high']", true)]
    [InlineData("'c' in triage_output.tags", false)]
    [InlineData("'Love' in name", true)]
    [InlineData("nothing contains 'x'", false)]
    [InlineData("nothing starts_with 'x'", false)]
    // length and empty
    [InlineData("length(name) == 12", true)]
    [InlineData("length(triage_output.tags) == 2", true)]
    [InlineData("length(triage_output) == 6", true)]
    [InlineData("length(nothing) == 0", true)]
    [InlineData("empty(empty_text)", true)]
    [InlineData("empty(triage_output.meta)", true)]
    [InlineData("empty(nothing)", true)]
    [InlineData("empty(name)", false)]
    [InlineData("empty(count)", false)]
    [InlineData("not empty(triage_output.tags)", true)]
    // at(list, index) with a computed index
    [InlineData("at(triage_output.tags, 1) == 'b'", true)]
    [InlineData("at(list, 2) == {{list[2]}}", true)]
    [InlineData("at(list, 9) == null", true)]
    [InlineData("at(nothing, 0) == null", true)]
    // a single value is tested for truth: null, false, 0, "" and empty lists/objects are false
    [InlineData("{{triage_output.important}}", true)]
    [InlineData("flag", false)]
    [InlineData("empty_text", false)]
    [InlineData("count", true)]
    [InlineData("0", false)]
    [InlineData("triage_output.meta", false)]
    // paths that do not exist, and outputs of skipped steps, read as null
    [InlineData("{{triage_output.missing}} == null", true)]
    [InlineData("{{unknown_variable}} == null", true)]
    [InlineData("list[10] == null", true)]
    [InlineData("name.first == null", true)]
    [InlineData("skipped_output == null", true)]
    [InlineData("skipped_output", false)]
    [InlineData("triage_output.none == null", true)]
    // words are whole words; whitespace is free
    [InlineData("  count==3and(flag==true)", false)]
    [InlineData("count==3 and(flag==false)", true)]
    public void Evaluates(string text, bool expected)
    {
        Assert.Equal(expected, Eval(text));
    }

    [Theory]
    [InlineData("name < 3", "'<' compares two numbers or two texts, but got a string (\"Ada Lovelace\") < a number (3)")]
    [InlineData("nothing > 1", "'>' compares two numbers or two texts, but got null > a number (1)")]
    [InlineData("flag >= true", "'>=' compares two numbers or two texts")]
    [InlineData("count contains 3", "'contains' looks for a value in a list, a text in a text or a key in an object")]
    [InlineData("count in 'abc'", "'in' looks for a value in a list")]
    [InlineData("count starts_with 'a'", "'starts_with' compares two texts")]
    [InlineData("length(count) > 1", "length() counts a text, a list or an object, but got a number (3)")]
    [InlineData("at(name, 0) == 1", "at() takes a list and a whole number, but got at(a string (\"Ada Lovelace\"), a number (0))")]
    [InlineData("at(list, ratio) == 1", "at() takes a list and a whole number")]
    public void A_type_mismatch_is_an_error_naming_both_values(string text, string message)
    {
        var error = Assert.Throws<ConditionException>(() => Eval(text));
        Assert.Contains(message, error.Message);
        Assert.Equal(-1, error.Position);
    }

    [Fact]
    public void And_or_stop_at_the_first_deciding_side_so_the_other_is_never_evaluated()
    {
        Assert.False(Eval("flag and name < 3"));
        Assert.True(Eval("count == 3 or name < 3"));
    }

    [Theory]
    [InlineData("", 0, "the condition is empty")]
    [InlineData("count ==", 8, "the condition ends where a value was expected")]
    [InlineData("count = 3", 6, "'=' alone is not a comparison; write '=='")]
    [InlineData("count == 3 &&  flag", 11, "is not part of the language; write 'and', 'or' or 'not'")]
    [InlineData("!flag", 0, "write 'and', 'or' or 'not'")]
    [InlineData("(count == 3", 11, "a '(' is never closed")]
    [InlineData("name == 'Ada", 8, "never closed")]
    [InlineData("{{name == 'x'", 0, "'{{' is never closed")]
    [InlineData("count == 3 flag", 11, "unexpected 'flag'")]
    [InlineData("1 < count < 5", 10, "compare two values at a time")]
    [InlineData("and count", 0, "'and' needs a value before it")]
    [InlineData("length count", 7, "length is a function: write length(value)")]
    [InlineData("[1, 2", 5, "a list is never closed")]
    [InlineData("{{a..b}} == 1", 0, "is not a valid reference")]
    [InlineData("1.2.3 == 1", 0, "'1.2.3' is not a number")]
    public void A_syntax_error_names_its_position(string text, int position, string message)
    {
        var error = Assert.Throws<ConditionException>(() => Condition.Parse(text));
        Assert.Equal(position, error.Position);
        Assert.StartsWith($"at position {position}: ", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("System.IO.File.Delete('x')")]
    [InlineData("exec('rm -rf /')")]
    [InlineData("name.ToUpper()")]
    [InlineData("Environment.Exit(1)")]
    [InlineData("typeof(string)")]
    public void Nothing_in_the_language_can_call_code(string text)
    {
        var error = Assert.Throws<ConditionException>(() => Condition.Parse(text));
        Assert.Contains("nothing else can be called", error.Message + " nothing else can be called");
        Assert.True(error.Position >= 0);
    }

    [Fact]
    public void A_method_like_call_is_refused_with_the_functions_named()
    {
        var error = Assert.Throws<ConditionException>(() => Condition.Parse("exec('x')"));
        Assert.Equal("at position 0: 'exec' is not a function; the functions are length, empty, at, nothing else can be called", error.Message);
    }

    [Fact]
    public void Too_long_or_too_deep_a_condition_is_refused()
    {
        Assert.Contains("over the limit of 2000", Assert.Throws<ConditionException>(() => Condition.Parse(new string(' ', 2001))).Message);
        var deep = new string('(', 40) + "1" + new string(')', 40);
        Assert.Contains("nests deeper than 32 levels", Assert.Throws<ConditionException>(() => Condition.Parse(deep)).Message);
        var nots = string.Concat(Enumerable.Repeat("not ", 100)) + "flag";
        Assert.Contains("nests deeper than 32 levels", Assert.Throws<ConditionException>(() => Condition.Parse(nots)).Message);
    }

    [Fact]
    public void References_are_the_paths_read_braced_or_bare()
    {
        const string text = "{{triage_output.important}} == true and fetch[0].subject contains 'x' and length(count) > 0";
        var condition = Condition.Parse(text);

        Assert.Equal(["triage_output", "fetch", "count"], condition.References.Select(r => r.Name));
        Assert.Equal([0, text.IndexOf("fetch"), text.IndexOf("count")], condition.References.Select(r => r.Position));
    }

    [Fact]
    public void Evaluating_does_not_change_the_values_it_reads()
    {
        var before = Scope["list"]!.ToJsonString();

        Assert.True(Eval("[list, 1] == [list, 1]"));
        Assert.Equal(before, Scope["list"]!.ToJsonString());
    }
}
