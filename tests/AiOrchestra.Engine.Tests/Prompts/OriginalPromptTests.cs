using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Tests.Prompts;

/// <summary>Prompt files in the original AI-Orchestra's shape, with its single-brace placeholders.</summary>
public sealed class OriginalPromptTests
{
    // Written for this test in the original's shape.
    private const string OriginalPrompt = """
        {
          "id": "blog_outline",
          "name": "Blog outline",
          "description": "An outline for a post",
          "system_prompt": "You are an editor for {audience}.",
          "user_prompt": "Outline a post about {topic}. Answer as {{\"title\": \"...\"}}.",
          "variables": ["audience", "topic"],
          "model": "gpt-4o",
          "temperature": 0.4
        }
        """;

    [Fact]
    public void The_originals_prompt_reads_with_its_style_variables_and_settings()
    {
        var prompt = PromptDocument.Read(JsonNode.Parse(OriginalPrompt)!.AsObject(), "blog_outline.json");

        Assert.True(prompt.SingleBrace);
        Assert.Equal(["audience", "topic"], prompt.Variables);
        Assert.Equal(("gpt-4o", 0.4), (prompt.Model, prompt.Temperature));
        var values = new Dictionary<string, JsonNode?> { ["audience"] = "engineers", ["topic"] = "queues" };
        Assert.Equal("You are an editor for engineers.", prompt.RenderSystem(values));
        Assert.Equal("Outline a post about queues. Answer as {\"title\": \"...\"}.", prompt.Render(values));
    }

    [Fact]
    public void A_missing_value_is_an_error_naming_it()
    {
        var prompt = PromptDocument.Read(JsonNode.Parse(OriginalPrompt)!.AsObject(), "blog_outline.json");

        var error = Assert.Throws<TemplateException>(() => prompt.Render(new Dictionary<string, JsonNode?> { ["topic"] = "queues" }));

        Assert.Equal("missing values for 'audience'", error.Message);
    }

    [Fact]
    public void Our_double_braces_stay_our_style_and_json_in_a_prompt_is_text()
    {
        var ours = new PromptTemplate { TemplateId = "t", Template = "Answer as {\"ok\": true} about {{topic}}" };

        Assert.False(ours.SingleBrace);
        Assert.Equal(["topic"], ours.Variables);
        Assert.Equal("Answer as {\"ok\": true} about rain", ours.Render(new Dictionary<string, JsonNode?> { ["topic"] = "rain" }));
    }

    [Fact]
    public void A_prompt_without_an_id_or_text_names_the_file_and_field()
    {
        var error = Assert.Throws<InvalidDataException>(() => PromptDocument.Read(JsonNode.Parse("""{"id": "x"}""")!.AsObject(), "x.json"));

        Assert.Equal("x.json: no 'template' (or 'user_prompt') text", error.Message);
    }
}
