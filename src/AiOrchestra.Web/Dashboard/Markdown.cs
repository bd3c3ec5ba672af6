using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Microsoft.AspNetCore.Html;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// Renders untrusted Markdown (LLM and step outputs, prompt previews) as safe HTML. Raw HTML is disabled, so any
/// tag in the text is written as escaped text; Markdig encodes every text and attribute; and links or images whose
/// address is not http, https or mailto (javascript:, data:, vbscript: ...) lose their address. Together these leave
/// no way to inject markup or script, which is why no separate HTML sanitiser is needed.
/// </summary>
public sealed class Markdown
{
    private static readonly string[] AllowedSchemes = ["http", "https", "mailto"];

    private readonly MarkdownPipeline _pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseTaskLists()
        .UseAutoLinks()
        .Build();

    public IHtmlContent Render(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return HtmlString.Empty;
        }
        var document = Markdig.Markdown.Parse(text, _pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (!IsSafeUrl(link.Url))
            {
                link.Url = "";
            }
        }
        foreach (var link in document.Descendants<AutolinkInline>())
        {
            if (!IsSafeUrl(link.Url))
            {
                link.Url = "";
            }
        }
        return new HtmlString(document.ToHtml(_pipeline));
    }

    /// <summary>Absolute http, https and mailto addresses, and relative links within this site.</summary>
    internal static bool IsSafeUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return true;
        }
        var trimmed = url.Trim();
        var colon = trimmed.IndexOf(':');
        var slash = trimmed.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (slash >= 0 && slash < colon))
        {
            // no scheme: a relative address (but not a protocol-relative one to another host)
            return !trimmed.StartsWith("//", StringComparison.Ordinal) && !trimmed.StartsWith("\\", StringComparison.Ordinal);
        }
        var scheme = trimmed[..colon];
        return AllowedSchemes.Contains(scheme, StringComparer.OrdinalIgnoreCase);
    }
}
