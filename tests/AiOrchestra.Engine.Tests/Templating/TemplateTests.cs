using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Tests.Templating;

public class TemplateTests
{
    private static Dictionary<string, JsonNode?> Scope(string json) =>
        JsonNode.Parse(json)!.AsObject().ToDictionary(p => p.Key, p => p.Value?.DeepClone());

    [Fact]
    public void Renders_a_variable_inside_text()
    {
        var scope = Scope("""{"topic": "onboarding"}""");

        Assert.Equal("Write about onboarding.", Template.Parse("Write about {{topic}}.").Render(scope));
    }

    [Fact]
    public void Renders_the_output_of_an_earlier_step_by_its_output_name()
    {
        var scope = Scope("""{"summarize_output": "Three unread mails."}""");

        Assert.Equal("Digest: Three unread mails.", Template.Parse("Digest: {{summarize_output}}").Render(scope));
    }

    [Fact]
    public void Paths_reach_into_arrays_and_objects()
    {
        var scope = Scope("""{"fetch_output": [{"subject": "Invoice", "from": {"name": "Ann"}}], "issue_output": {"url": "https://x/1"}}""");

        Assert.Equal("Invoice from Ann", Template.Parse("{{fetch_output[0].subject}} from {{fetch_output[0].from.name}}").Render(scope));
        Assert.Equal("https://x/1", Template.Parse("{{issue_output.url}}").Render(scope));
    }

    [Fact]
    public void Whitespace_inside_the_braces_is_allowed()
    {
        var scope = Scope("""{"fetch_output": [{"subject": "Hi"}]}""");

        Assert.Equal("[Hi]", Template.Parse("[{{  fetch_output[0].subject\t}}]").Render(scope));
    }

    [Fact]
    public void Strings_render_as_themselves_numbers_and_booleans_as_json_objects_as_compact_json()
    {
        var scope = Scope("""{"s": "it's \"quoted\"", "n": 4.50, "b": true, "o": {"a": [1, 2], "b": null}, "z": null}""");

        Assert.Equal("it's \"quoted\"|4.50|true|{\"a\":[1,2],\"b\":null}|", Template.Parse("{{s}}|{{n}}|{{b}}|{{o}}|{{z}}").Render(scope));
    }

    [Fact]
    public void Objects_render_with_their_text_unescaped()
    {
        var scope = Scope("""{"o": {"title": "R&D <team>", "who": "Zoë"}}""");

        Assert.Equal("""{"title":"R&D <team>","who":"Zoë"}""", Template.Parse("{{o}}").Render(scope));
    }

    [Fact]
    public void Backslash_before_braces_writes_literal_braces()
    {
        var scope = Scope("""{"name": "x"}""");

        Assert.Equal("use {{name}} for x", Template.Parse("use \\{{name}} for {{name}}").Render(scope));
    }

    [Fact]
    public void A_rendered_value_containing_braces_is_not_scanned_again()
    {
        var scope = Scope("""{"llm_output": "Hello {{secret}}", "secret": "leaked"}""");

        Assert.Equal("Answer: Hello {{secret}}", Template.Parse("Answer: {{llm_output}}").Render(scope));
    }

    [Fact]
    public void Text_without_references_renders_unchanged()
    {
        var template = Template.Parse("plain } text { with braces");

        Assert.False(template.HasReferences);
        Assert.Equal("plain } text { with braces", template.Render(new Dictionary<string, JsonNode?>()));
    }

    [Fact]
    public void An_unclosed_opening_brace_pair_is_a_syntax_error_naming_its_position()
    {
        var error = Assert.Throws<TemplateException>(() => Template.Parse("Hello {{name"));

        Assert.Equal("'{{' at position 6 is never closed: add '}}' after the variable name, or write '\\{{' for a literal '{{'.", error.Message);
    }

    [Theory]
    [InlineData("{{}}", "it must start with a variable name")]
    [InlineData("{{ a b }}", "' ' is not allowed here")]
    [InlineData("{{a.}}", "a '.' must be followed by a field name")]
    [InlineData("{{a[x]}}", "'[' must hold a non-negative index")]
    [InlineData("{{a[0}}", "'[' must hold a non-negative index and be closed with ']'")]
    [InlineData("{{a + 1}}", "' ' is not allowed here")]
    public void An_invalid_reference_is_a_syntax_error_saying_why(string text, string why)
    {
        var error = Assert.Throws<TemplateException>(() => Template.Parse(text));

        Assert.Contains("is not a valid reference", error.Message);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void References_are_listed_with_name_path_and_position()
    {
        var template = Template.Parse("a {{ fetch_output[0].subject }} b {{topic}}");

        Assert.Collection(template.References,
            r =>
            {
                Assert.Equal("fetch_output", r.Name);
                Assert.Equal(new object[] { 0, "subject" }, r.Path);
                Assert.Equal("fetch_output[0].subject", r.Text);
                Assert.Equal(2, r.Position);
            },
            r => Assert.Equal("topic", r.Name));
    }

    [Fact]
    public void A_single_reference_keeps_the_type_of_its_value()
    {
        var scope = Scope("""{"fetch_output": [{"id": 1}], "n": 5, "flag": false}""");

        var array = Template.Parse("{{fetch_output}}").RenderValue(scope);
        var number = Template.Parse(" {{ n }} ".Trim()).RenderValue(scope);
        var flag = Template.Parse("{{flag}}").RenderValue(scope);
        var mixed = Template.Parse("n={{n}}").RenderValue(scope);

        Assert.IsType<JsonArray>(array);
        Assert.Equal("""[{"id":1}]""", array!.ToJsonString());
        Assert.Equal(5, number!.GetValue<int>());
        Assert.False(flag!.GetValue<bool>());
        Assert.Equal("n=5", mixed!.GetValue<string>());
    }

    [Fact]
    public void A_single_reference_value_is_a_copy_so_changing_it_leaves_the_scope_alone()
    {
        var scope = Scope("""{"o": {"a": 1}}""");

        var copy = Template.Parse("{{o}}").RenderValue(scope)!.AsObject();
        copy["a"] = 2;

        Assert.Equal("""{"a":1}""", scope["o"]!.ToJsonString());
    }

    [Fact]
    public void RenderNode_renders_every_string_inside_parameters_and_keeps_other_values()
    {
        var scope = Scope("""{"repo": "me/app", "labels": ["bug"], "n": 3}""");
        var parameters = JsonNode.Parse("""{"repo": "{{repo}}", "labels": "{{labels}}", "title": "{{n}} bugs", "limit": 10, "nested": {"x": ["{{repo}}"]}}""");

        var rendered = Template.RenderNode(parameters, scope);

        Assert.Equal("""{"repo":"me/app","labels":["bug"],"title":"3 bugs","limit":10,"nested":{"x":["me/app"]}}""", rendered!.ToJsonString());
    }

    [Fact]
    public void FindReferences_gives_the_json_path_of_each_string()
    {
        var parameters = JsonNode.Parse("""{"a": "{{x}}", "b": {"c": ["lit", "{{y.z}} {{w}}"]}}""");

        var found = Template.FindReferences(parameters, "steps[0].parameters").Select(f => $"{f.Path}={f.Reference.Name}");

        Assert.Equal(["steps[0].parameters.a=x", "steps[0].parameters.b.c[1]=y", "steps[0].parameters.b.c[1]=w"], found);
    }

    [Fact]
    public void An_unknown_variable_is_a_clear_render_error()
    {
        var error = Assert.Throws<TemplateException>(() => Template.Parse("{{nope}}").Render(Scope("{}")));

        Assert.Equal("unknown variable 'nope'", error.Message);
    }

    [Fact]
    public void A_missing_field_names_the_fields_that_exist()
    {
        var scope = Scope("""{"issue_output": {"url": "u", "number": 7}}""");

        var error = Assert.Throws<TemplateException>(() => Template.Parse("{{issue_output.html_url}}").Render(scope));

        Assert.Equal("'issue_output' has no field 'html_url' (it has: url, number)", error.Message);
    }

    [Fact]
    public void An_index_past_the_end_says_how_many_items_there_are()
    {
        var scope = Scope("""{"fetch_output": [{"subject": "a"}]}""");

        var error = Assert.Throws<TemplateException>(() => Template.Parse("{{fetch_output[3].subject}}").Render(scope));

        Assert.Equal("'fetch_output' has 1 item(s), so '[3]' does not exist", error.Message);
    }

    [Theory]
    [InlineData("{{s.field}}", "'s' is a string, so '.field' cannot be read from it")]
    [InlineData("{{o[0]}}", "'o' is an object, so '[0]' cannot be read from it")]
    [InlineData("{{b.x}}", "'b' is a boolean, so '.x' cannot be read from it")]
    [InlineData("{{z.x}}", "'z' is null, so '.x' cannot be read from it")]
    [InlineData("{{o.a[0].deep}}", "'o.a[0]' is a number, so '.deep' cannot be read from it")]
    public void Reading_into_a_value_of_the_wrong_kind_says_what_the_value_is(string text, string message)
    {
        var scope = Scope("""{"s": "text", "o": {"a": [1]}, "b": true, "z": null}""");

        var error = Assert.Throws<TemplateException>(() => Template.Parse(text).Render(scope));

        Assert.Equal(message, error.Message);
    }
}
