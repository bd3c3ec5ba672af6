using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Steps.Transform;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Tests.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Steps;

/// <summary>The original AI-Orchestra's <c>transform</c> step and its single-brace <c>{name}</c> placeholders.</summary>
public sealed class TransformStepTests
{
    [Fact]
    public async Task Extract_and_format_read_earlier_outputs_in_a_run()
    {
        var workflow = WorkflowJson.Parse("""
            {
              "id": "transform_chain",
              "steps": [
                { "id": "fetch", "type": "template", "action": "render", "params": { "text": "{{message}}" } },
                { "id": "subject", "type": "transform", "action": "extract", "params": { "source": "fetch_output", "key": "subject" } },
                { "id": "first_tag", "type": "transform", "action": "extract", "params": { "source": "{{fetch_output}}", "key": "tags[0]" } },
                { "id": "line", "type": "transform", "action": "format",
                  "params": { "template": "{subject_output} from {message.sender} ({first_tag_output}) \\{{literal}}" } }
              ],
              "variables": { "message": { "subject": "Invoice", "sender": "ada@example.com", "tags": ["billing", "q3"] } }
            }
            """).Workflow!;
        var executor = new WorkflowExecutor(new StepCatalog([new TemplateStep(), new TransformStep()]), TimeProvider.System);

        var result = await executor.ExecuteAsync(
            new RunRequest { RunId = "r", OwnerId = "o", Workflow = workflow }, new RecordingJournal(), CancellationToken.None);

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Equal("Invoice", result.Outputs["subject"]!.GetValue<string>());
        Assert.Equal("billing", result.Outputs["first_tag"]!.GetValue<string>());
        Assert.Equal("Invoice from ada@example.com (billing) {literal}", result.Outputs["line"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_missing_key_lists_the_keys_there_are()
    {
        var error = await Assert.ThrowsAsync<StepFailedException>(() => new TransformStep().ExecuteAsync(Call("extract", new JsonObject
        {
            ["source"] = new JsonObject { ["subject"] = "Hi", ["body"] = "…" },
            ["key"] = "title",
        }), CancellationToken.None));

        Assert.Equal("parameter 'key': 'source' has no field 'title' (it has: subject, body)", error.Message);
    }

    [Fact]
    public async Task A_source_that_names_nothing_says_what_to_write()
    {
        var error = await Assert.ThrowsAsync<StepFailedException>(() => new TransformStep().ExecuteAsync(
            Call("extract", new JsonObject { ["source"] = "fetch_outptu", ["key"] = "subject" }), CancellationToken.None));

        Assert.Contains("'fetch_outptu' names no earlier value", error.Message);
    }

    [Fact]
    public async Task Format_with_a_placeholder_that_has_no_value_names_it()
    {
        var error = await Assert.ThrowsAsync<StepFailedException>(() => new TransformStep().ExecuteAsync(
            Call("format", new JsonObject { ["template"] = "Dear {name}" }), CancellationToken.None));

        Assert.Equal("parameter 'template': placeholder '{name}' has no value: give 'name' as a variable", error.Message);
    }

    [Theory]
    [InlineData("Hello {name}!", "Hello Ada!")]
    [InlineData("{{literal}} and {name}", "{literal} and Ada")]
    [InlineData("JSON stays: {\"a\": 1} and { name }", "JSON stays: {\"a\": 1} and { name }")]
    [InlineData("{user.langs[1]}", "fr")]
    [InlineData("{user}", "{\"langs\":[\"en\",\"fr\"]}")]
    public void Brace_format_fills_placeholders_like_pythons_format(string template, string expected)
    {
        var values = new Dictionary<string, JsonNode?>
        {
            ["name"] = "Ada",
            ["user"] = new JsonObject { ["langs"] = new JsonArray("en", "fr") },
        };

        Assert.Equal(expected, BraceFormat.Format(template, values));
    }

    [Fact]
    public void Brace_style_is_told_apart_from_double_braces()
    {
        Assert.True(BraceFormat.IsBraceStyle("Write about {topic} for {audience}"));
        Assert.False(BraceFormat.IsBraceStyle("Write about {{topic}}"));
        Assert.False(BraceFormat.IsBraceStyle("No placeholders, only JSON {\"a\": 1}"));
        Assert.Equal(["topic", "audience"], BraceFormat.Names("{topic} for {audience}, again {topic}"));
    }

    private static StepCall Call(string action, JsonObject parameters) =>
        new(action, parameters, new StepContext { RunId = "r", StepId = "s", Attempt = 1, OwnerId = "o" });
}
