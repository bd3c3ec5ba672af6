using System.Text.Json.Nodes;
using AiOrchestra.Engine.Steps.Notion;

namespace AiOrchestra.Web.Tests.Integrations;

public sealed class NotionMarkdownTests
{
    private static string Text(JsonObject block) =>
        string.Concat(block[(string)block["type"]!]!["rich_text"]!.AsArray().Select(t => (string?)t!["text"]!["content"]));

    [Fact]
    public void Headings_paragraphs_and_a_divider_become_their_blocks()
    {
        var blocks = NotionMarkdown.ToBlocks("# Title\n\n## Part\n\n### Detail\n\n#### Deeper\n\nSome text\nwrapped.\n\n---\n");

        Assert.Equal(["heading_1", "heading_2", "heading_3", "heading_3", "paragraph", "divider"], blocks.Select(b => (string?)b["type"]));
        Assert.Equal("Title", Text(blocks[0]));
        Assert.Equal("Deeper", Text(blocks[3]));
        Assert.Equal("Some text wrapped.", Text(blocks[4]));
    }

    [Fact]
    public void Bold_italic_code_strikethrough_and_links_become_annotations()
    {
        var block = Assert.Single(NotionMarkdown.ToBlocks("Plain **bold** *italic* `code` ~~gone~~ [site](https://example.com/x) end"));

        var rich = block["paragraph"]!["rich_text"]!.AsArray().Select(t => t!.AsObject()).ToList();
        JsonObject Piece(string content) => rich.Single(t => (string?)t["text"]!["content"] == content);
        Assert.True((bool)Piece("bold")["annotations"]!["bold"]!);
        Assert.False((bool)Piece("bold")["annotations"]!["italic"]!);
        Assert.True((bool)Piece("italic")["annotations"]!["italic"]!);
        Assert.True((bool)Piece("code")["annotations"]!["code"]!);
        Assert.True((bool)Piece("gone")["annotations"]!["strikethrough"]!);
        Assert.Equal("https://example.com/x", (string?)Piece("site")["text"]!["link"]!["url"]);
        Assert.Null(Piece("Plain ")["text"]!["link"]);
        Assert.Equal("Plain bold italic code gone site end", string.Concat(rich.Select(t => (string?)t["text"]!["content"])));
    }

    [Fact]
    public void Lists_become_list_items_with_nested_lists_as_children()
    {
        var blocks = NotionMarkdown.ToBlocks("- one\n- two\n  - two a\n\n1. first\n2. second\n");

        Assert.Equal(["bulleted_list_item", "bulleted_list_item", "numbered_list_item", "numbered_list_item"], blocks.Select(b => (string?)b["type"]));
        Assert.Equal("two", Text(blocks[1]));
        var child = Assert.Single(blocks[1]["bulleted_list_item"]!["children"]!.AsArray())!.AsObject();
        Assert.Equal("bulleted_list_item", (string?)child["type"]);
        Assert.Equal("two a", Text(child));
        Assert.Equal("second", Text(blocks[3]));
    }

    [Fact]
    public void Code_keeps_its_text_and_language_and_quotes_become_quote_blocks()
    {
        var blocks = NotionMarkdown.ToBlocks("```cs\nvar x = 1;\nConsole.WriteLine(x);\n```\n\n```klingon\nQapla'\n```\n\n> Wise words\n> on two lines\n");

        Assert.Equal(["code", "code", "quote"], blocks.Select(b => (string?)b["type"]));
        Assert.Equal("var x = 1;\nConsole.WriteLine(x);", Text(blocks[0]));
        Assert.Equal("c#", (string?)blocks[0]["code"]!["language"]);
        Assert.Equal("plain text", (string?)blocks[1]["code"]!["language"]);
        Assert.Equal("Wise words on two lines", Text(blocks[2]));
    }

    [Fact]
    public void Long_text_is_split_into_rich_text_objects_of_at_most_2000_characters()
    {
        var paragraph = new string('a', 4500);

        var block = Assert.Single(NotionMarkdown.ToBlocks(paragraph));

        var pieces = block["paragraph"]!["rich_text"]!.AsArray().Select(t => (string)t!["text"]!["content"]!).ToList();
        Assert.Equal([2000, 2000, 500], pieces.Select(p => p.Length));
        Assert.Equal(paragraph, string.Concat(pieces));
    }

    [Fact]
    public void Raw_html_is_kept_as_text()
    {
        var block = Assert.Single(NotionMarkdown.ToBlocks("<script>alert(1)</script>"));

        Assert.Equal("paragraph", (string?)block["type"]);
        Assert.Equal("<script>alert(1)</script>", Text(block));
    }
}
