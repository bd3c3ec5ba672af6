using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Tests.Prompts;

public sealed class PromptTemplateTests
{
    [Fact]
    public void Variables_are_detected_from_the_text_distinct_and_in_order_of_first_use()
    {
        var prompt = Prompt("Write about {{topic}} for {{ audience }}. Again: {{topic}}. Use {{context.summary}}, not \\{{literal}}.");

        Assert.Equal(["topic", "audience", "context"], prompt.Variables);
    }

    [Fact]
    public void Render_fills_every_variable()
    {
        var prompt = Prompt("Write about {{topic}} for {{audience}} in {{count}} lines.");

        var text = prompt.Render(new Dictionary<string, JsonNode?> { ["topic"] = "tides", ["audience"] = "children", ["count"] = 4 });

        Assert.Equal("Write about tides for children in 4 lines.", text);
    }

    [Fact]
    public void Render_names_every_missing_variable_at_once()
    {
        var prompt = Prompt("Write about {{topic}} for {{audience}} in {{tone}}.");

        var error = Assert.Throws<TemplateException>(() => prompt.Render(new Dictionary<string, JsonNode?> { ["tone"] = "verse" }));

        Assert.Equal("missing values for 'topic', 'audience'", error.Message);
    }

    [Fact]
    public void A_text_that_does_not_parse_says_where()
    {
        var prompt = Prompt("Hello {{name");

        var error = Assert.Throws<TemplateException>(() => prompt.Variables);

        Assert.Contains("never closed", error.Message);
    }

    private static PromptTemplate Prompt(string text) => new() { TemplateId = "p", Template = text };
}
