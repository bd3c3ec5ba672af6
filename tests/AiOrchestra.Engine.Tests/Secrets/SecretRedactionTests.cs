using System.Text.Json.Nodes;
using AiOrchestra.Engine.Steps.Integrations;

namespace AiOrchestra.Engine.Tests.Secrets;

public sealed class SecretRedactionTests
{
    private static readonly SecretRedaction Redaction = new([
        ("OpenAI:ApiKey", "sk-live-1234567890"),
        ("GitHub:Token", "ghp_abc+def/ghi\"jk"),
        ("Local:ApiKey", "short"),
    ]);

    [Fact]
    public void Every_value_is_replaced_by_its_settings_name_and_the_rest_is_kept()
    {
        Assert.Equal(
            "a [redacted: OpenAI:ApiKey] b [redacted: GitHub:Token] c [redacted: OpenAI:ApiKey]",
            Redaction.Redact("a sk-live-1234567890 b ghp_abc+def/ghi\"jk c sk-live-1234567890"));
    }

    [Fact]
    public void A_text_without_a_secret_is_returned_as_it_is_and_short_values_are_not_searched_for()
    {
        const string text = "a short text that mentions nothing secret";
        Assert.Same(text, Redaction.Redact(text));
        Assert.False(Redaction.Contains(text));
        Assert.True(SecretRedaction.None.IsEmpty);
        Assert.Same(text, SecretRedaction.None.Redact(text));
    }

    [Fact]
    public void A_value_written_as_JSON_or_in_a_URL_is_found_and_the_JSON_stays_valid()
    {
        var json = new JsonObject { ["echo"] = "token ghp_abc+def/ghi\"jk", ["url"] = "https://x/?t=" + Uri.EscapeDataString("ghp_abc+def/ghi\"jk") }.ToJsonString();
        Assert.DoesNotContain("ghp_abc+def/ghi\"jk", json); // as JSON writes it: + and " escaped

        var redacted = JsonNode.Parse(Redaction.Redact(json))!;

        Assert.Equal("token [redacted: GitHub:Token]", (string?)redacted["echo"]);
        Assert.Equal("https://x/?t=[redacted: GitHub:Token]", (string?)redacted["url"]);
    }

    [Theory]
    [InlineData("nothing here", 0)]
    [InlineData("the key is sk-li", 5)]
    [InlineData("the key is s", 1)]
    [InlineData("the key is sk-live-1234567890", 0)]
    public void The_end_of_a_streamed_text_that_may_begin_a_secret_is_held_back(string text, int held)
    {
        Assert.Equal(held, Redaction.UnfinishedEnd(text));
    }
}
