using System.Text;
using System.Text.Json.Nodes;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace AiOrchestra.Engine.Steps.Notion;

/// <summary>
/// Markdown to Notion blocks through Markdig's syntax tree: headings 1-3 (deeper ones become heading 3), paragraphs,
/// bulleted and numbered lists (nested lists as children), code with its language, quotes, dividers; inline bold,
/// italic, strikethrough, code and links become rich-text annotations. Each rich-text object holds at most 2000
/// characters, as Notion requires.
/// </summary>
public static class NotionMarkdown
{
    public const int MaxTextLength = 2000;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseEmphasisExtras().Build();

    /// <summary>Notion's code languages that Markdown fences commonly name, with the usual aliases.</summary>
    private static readonly Dictionary<string, string> Languages = new(StringComparer.OrdinalIgnoreCase)
    {
        ["bash"] = "bash", ["sh"] = "shell", ["shell"] = "shell", ["zsh"] = "shell", ["powershell"] = "powershell", ["ps1"] = "powershell",
        ["c"] = "c", ["cpp"] = "c++", ["c++"] = "c++", ["csharp"] = "c#", ["cs"] = "c#", ["c#"] = "c#", ["fsharp"] = "f#", ["f#"] = "f#",
        ["css"] = "css", ["diff"] = "diff", ["docker"] = "docker", ["dockerfile"] = "docker", ["go"] = "go", ["graphql"] = "graphql",
        ["html"] = "html", ["xml"] = "xml", ["java"] = "java", ["javascript"] = "javascript", ["js"] = "javascript",
        ["typescript"] = "typescript", ["ts"] = "typescript", ["json"] = "json", ["kotlin"] = "kotlin", ["markdown"] = "markdown",
        ["md"] = "markdown", ["php"] = "php", ["python"] = "python", ["py"] = "python", ["ruby"] = "ruby", ["rb"] = "ruby",
        ["rust"] = "rust", ["rs"] = "rust", ["scala"] = "scala", ["sql"] = "sql", ["swift"] = "swift", ["yaml"] = "yaml",
        ["yml"] = "yaml", ["toml"] = "toml", ["mermaid"] = "mermaid", ["text"] = "plain text", ["plaintext"] = "plain text",
    };

    public static List<JsonObject> ToBlocks(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        var blocks = new List<JsonObject>();
        foreach (var block in document)
        {
            AddBlock(block, blocks);
        }
        return blocks;
    }

    /// <summary>Plain text as rich-text objects of at most 2000 characters each.</summary>
    public static JsonArray PlainText(string text)
    {
        var rich = new JsonArray();
        AddText(rich, text, new Style());
        return rich;
    }

    private static void AddBlock(Block block, List<JsonObject> blocks)
    {
        switch (block)
        {
            case HeadingBlock heading:
                blocks.Add(Block($"heading_{Math.Clamp(heading.Level, 1, 3)}", RichText(heading.Inline)));
                break;
            case ParagraphBlock paragraph:
                blocks.Add(Block("paragraph", RichText(paragraph.Inline)));
                break;
            case ListBlock list:
                foreach (var item in list.OfType<ListItemBlock>())
                {
                    blocks.Add(ListItem(item, list.IsOrdered ? "numbered_list_item" : "bulleted_list_item"));
                }
                break;
            case FencedCodeBlock fenced:
                blocks.Add(Code(CodeText(fenced), fenced.Info));
                break;
            case CodeBlock code:
                blocks.Add(Code(CodeText(code), null));
                break;
            case QuoteBlock quote:
                blocks.Add(Quote(quote));
                break;
            case ThematicBreakBlock:
                blocks.Add(new JsonObject { ["object"] = "block", ["type"] = "divider", ["divider"] = new JsonObject() });
                break;
            case HtmlBlock html:
                // Raw HTML is shown as the text it is, never interpreted.
                blocks.Add(Block("paragraph", PlainText(CodeText(html))));
                break;
            case ContainerBlock container:
                foreach (var child in container)
                {
                    AddBlock(child, blocks);
                }
                break;
        }
    }

    private static JsonObject ListItem(ListItemBlock item, string type)
    {
        var rich = new JsonArray();
        var children = new List<JsonObject>();
        foreach (var child in item)
        {
            if (child is ParagraphBlock paragraph && children.Count == 0)
            {
                if (rich.Count > 0)
                {
                    AddText(rich, "\n", new Style());
                }
                AddInlines(rich, paragraph.Inline, new Style());
            }
            else
            {
                AddBlock(child, children);
            }
        }
        var block = Block(type, rich);
        if (children.Count > 0)
        {
            block[type]!["children"] = new JsonArray(children.Select(c => (JsonNode)c).ToArray());
        }
        return block;
    }

    private static JsonObject Quote(QuoteBlock quote)
    {
        var rich = new JsonArray();
        foreach (var paragraph in quote.Descendants<ParagraphBlock>())
        {
            if (rich.Count > 0)
            {
                AddText(rich, "\n", new Style());
            }
            AddInlines(rich, paragraph.Inline, new Style());
        }
        return Block("quote", rich);
    }

    private static JsonObject Code(string text, string? info)
    {
        var language = info?.Trim().Split(' ', 2)[0] ?? "";
        var block = Block("code", PlainText(text));
        block["code"]!["language"] = Languages.GetValueOrDefault(language, "plain text");
        return block;
    }

    private static string CodeText(LeafBlock block)
    {
        var text = new StringBuilder();
        var lines = block.Lines;
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0)
            {
                text.Append('\n');
            }
            text.Append(lines.Lines[i].Slice.ToString());
        }
        return text.ToString();
    }

    private static JsonObject Block(string type, JsonArray richText) => new()
    {
        ["object"] = "block",
        ["type"] = type,
        [type] = new JsonObject { ["rich_text"] = richText },
    };

    private static JsonArray RichText(ContainerInline? inlines)
    {
        var rich = new JsonArray();
        AddInlines(rich, inlines, new Style());
        return rich;
    }

    private readonly record struct Style(bool Bold = false, bool Italic = false, bool Strikethrough = false, bool Code = false, string? Link = null);

    private static void AddInlines(JsonArray rich, ContainerInline? container, Style style)
    {
        if (container is null)
        {
            return;
        }
        foreach (var inline in container)
        {
            switch (inline)
            {
                case LiteralInline literal:
                    AddText(rich, literal.Content.ToString(), style);
                    break;
                case CodeInline code:
                    AddText(rich, code.Content, style with { Code = true });
                    break;
                case LineBreakInline lineBreak:
                    AddText(rich, lineBreak.IsHard ? "\n" : " ", style);
                    break;
                case AutolinkInline autolink:
                    AddText(rich, autolink.Url, style with { Link = autolink.IsEmail ? $"mailto:{autolink.Url}" : autolink.Url });
                    break;
                case LinkInline { IsImage: true } image:
                    AddText(rich, image.Url ?? "", style with { Link = image.Url });
                    break;
                case LinkInline link:
                    AddInlines(rich, link, style with { Link = link.Url });
                    break;
                case EmphasisInline emphasis:
                    AddInlines(rich, emphasis, emphasis.DelimiterChar == '~'
                        ? style with { Strikethrough = true }
                        : emphasis.DelimiterCount >= 2 ? style with { Bold = true } : style with { Italic = true });
                    break;
                case HtmlInline html:
                    AddText(rich, html.Tag, style);
                    break;
                case HtmlEntityInline entity:
                    AddText(rich, entity.Transcoded.ToString(), style);
                    break;
                case ContainerInline nested:
                    AddInlines(rich, nested, style);
                    break;
            }
        }
    }

    /// <summary>Appends <paramref name="text"/> in the given style, merging with the previous piece when the style is the same.</summary>
    private static void AddText(JsonArray rich, string text, Style style)
    {
        if (text.Length == 0)
        {
            return;
        }
        if (rich.Count > 0 && rich[^1] is JsonObject last && StyleOf(last) == style)
        {
            var content = last["text"]!["content"]!.GetValue<string>();
            var room = MaxTextLength - content.Length;
            if (room > 0)
            {
                var take = Math.Min(room, text.Length);
                last["text"]!["content"] = content + text[..take];
                text = text[take..];
            }
        }
        for (var start = 0; start < text.Length; start += MaxTextLength)
        {
            rich.Add(TextObject(text.Substring(start, Math.Min(MaxTextLength, text.Length - start)), style));
        }
    }

    private static JsonObject TextObject(string content, Style style)
    {
        var text = new JsonObject { ["content"] = content };
        if (style.Link is { Length: > 0 } url)
        {
            text["link"] = new JsonObject { ["url"] = url };
        }
        return new JsonObject
        {
            ["type"] = "text",
            ["text"] = text,
            ["annotations"] = new JsonObject
            {
                ["bold"] = style.Bold,
                ["italic"] = style.Italic,
                ["strikethrough"] = style.Strikethrough,
                ["underline"] = false,
                ["code"] = style.Code,
                ["color"] = "default",
            },
        };
    }

    private static Style StyleOf(JsonObject richText)
    {
        var annotations = richText["annotations"]!;
        return new Style(
            (bool)annotations["bold"]!,
            (bool)annotations["italic"]!,
            (bool)annotations["strikethrough"]!,
            (bool)annotations["code"]!,
            (string?)richText["text"]!["link"]?["url"]);
    }
}
