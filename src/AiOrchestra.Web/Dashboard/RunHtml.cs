using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Html;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Dashboard;

/// <summary>What one step row of a run's timeline shows.</summary>
public sealed record StepView(string StepId, string Status)
{
    public int Attempts { get; init; }
    public long? DurationMs { get; init; }
    public JsonNode? Output { get; init; }
    public string? Error { get; init; }
    public TokenUsage? Usage { get; init; }

    /// <summary>The run the step belongs to: a long output links to its full value there.</summary>
    public string? RunId { get; init; }
}

/// <summary>
/// The HTML of a run's timeline pieces, written once and used both by the run page and by the live stream
/// (which sends the same pieces as htmx out-of-band swaps), so a live page and a reloaded page look the same.
/// </summary>
public sealed class RunHtml(Markdown markdown, IOptions<RunOptions>? options = null)
{
    private readonly int _maxDisplayed = options?.Value.MaxDisplayedOutputBytes ?? new RunOptions().MaxDisplayedOutputBytes;

    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;
    // relaxed: quotes and < stay readable in the JSON text, which is HTML-encoded before it reaches the page
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string StepElementId(string stepId) => "step-" + stepId;

    public IHtmlContent StepRow(StepView step, bool outOfBand = false) => new HtmlString(StepRowText(step, outOfBand));

    public string StepRowText(StepView step, bool outOfBand)
    {
        var html = new StringBuilder();
        var id = StepElementId(step.StepId);
        html.Append("<li id=\"").Append(E(id)).Append("\" class=\"step status-").Append(E(step.Status)).Append("\" data-status=\"")
            .Append(E(step.Status)).Append('"');
        if (outOfBand)
        {
            html.Append(" hx-swap-oob=\"true\"");
        }
        html.Append('>');
        html.Append("<div class=\"step-head\"><span class=\"badge status-").Append(E(step.Status)).Append("\">").Append(E(step.Status))
            .Append("</span> <strong>").Append(E(step.StepId)).Append("</strong>");
        var meta = new List<string>();
        if (step.Attempts > 1)
        {
            meta.Add($"{step.Attempts} attempts");
        }
        if (step.DurationMs is { } ms)
        {
            meta.Add(FormatDuration(ms));
        }
        if (step.Usage is { } usage)
        {
            meta.Add($"{usage.TotalTokens} tokens");
        }
        if (meta.Count > 0)
        {
            html.Append(" <span class=\"meta\">").Append(E(string.Join(" · ", meta))).Append("</span>");
        }
        html.Append("</div>");
        if (step.DurationMs is { } duration)
        {
            // an SVG width, not a style attribute: the Content-Security-Policy allows no inline styles
            html.Append("<svg class=\"bar\" viewBox=\"0 0 100 4\" preserveAspectRatio=\"none\" aria-hidden=\"true\"><rect height=\"4\" width=\"")
                .Append(BarPercent(duration).ToString(CultureInfo.InvariantCulture)).Append("\"></rect></svg>");
        }
        if (step.Status == "running")
        {
            html.Append("<div class=\"delta\" id=\"").Append(E(id)).Append("-delta\"></div>");
        }
        if (step.Error is { Length: > 0 } error)
        {
            html.Append("<p class=\"error\">").Append(E(error)).Append("</p>");
        }
        if (step.Output is not null)
        {
            html.Append("<div class=\"output\">").Append(OutputText(step.Output, step.RunId, step.StepId)).Append("</div>");
        }
        html.Append("</li>");
        return html.ToString();
    }

    /// <summary>A text output is Markdown; any other JSON value is shown as indented JSON.</summary>
    public IHtmlContent Output(JsonNode? output) => new HtmlString(OutputText(output, null, null));

    /// <summary>Where the page serves a step's full output (the owner's only).</summary>
    public static string FullOutputUrl(string runId, string stepId) =>
        $"/Logs/{Uri.EscapeDataString(runId)}?handler=Output&step={Uri.EscapeDataString(stepId)}";

    /// <summary>
    /// The output as the page shows it: at most <c>Runs:MaxDisplayedOutputBytes</c> of it, so one large output cannot
    /// make the page or the live stream heavy; a cut output says so and links to the full value.
    /// </summary>
    private string OutputText(JsonNode? output, string? runId, string? stepId)
    {
        var size = JsonSize.Of(output, _maxDisplayed + 1L);
        var cut = size > _maxDisplayed;
        string body;
        if (output is JsonValue value && value.TryGetValue<string>(out var text))
        {
            body = "<div class=\"markdown\">" + ToText(markdown.Render(cut ? Start(text, _maxDisplayed) : text)) + "</div>";
        }
        else
        {
            var json = output?.ToJsonString(Indented) ?? "null";
            body = "<pre class=\"json\">" + E(cut ? Start(json, _maxDisplayed) + "\n…" : json) + "</pre>";
        }
        if (!cut)
        {
            return body;
        }
        var note = $"Showing the first {JsonSize.Format(_maxDisplayed)} of {JsonSize.Format(JsonSize.Of(output))}.";
        var link = runId is null || stepId is null
            ? ""
            : $" <a href=\"{E(FullOutputUrl(runId, stepId))}\" target=\"_blank\" rel=\"noopener\">Open the full output</a>";
        return body + "<p class=\"hint truncated\">" + E(note) + link + "</p>";
    }

    /// <summary>The first characters of a text, never splitting a surrogate pair.</summary>
    private static string Start(string text, int length)
    {
        if (text.Length <= length)
        {
            return text;
        }
        return text[..(char.IsHighSurrogate(text[length - 1]) ? length - 1 : length)];
    }

    public IHtmlContent RunStatus(string status) => new HtmlString(RunStatusText(status, outOfBand: false));

    public static string RunStatusText(string status, bool outOfBand) =>
        $"<span id=\"run-status\" class=\"badge status-{E(status)}\" data-status=\"{E(status)}\"{(outOfBand ? " hx-swap-oob=\"true\"" : "")}>{E(status)}</span>";

    public static string DeltaText(string stepId, string delta) =>
        $"<span hx-swap-oob=\"beforeend:#{E(StepElementId(stepId))}-delta\">{E(delta)}</span>";

    /// <summary>Markup appended to the end of the element <paramref name="targetId"/> (already encoded: it comes from a partial).</summary>
    public static string AppendText(string targetId, string html) =>
        $"<div hx-swap-oob=\"beforeend:#{E(targetId)}\">{html}</div>";

    public static string RunErrorText(string? error) =>
        $"<p id=\"run-error\" class=\"error\" hx-swap-oob=\"true\">{E(error ?? "")}</p>";

    /// <summary>
    /// The run paused: the approval panel (Pages/Logs/_Approval) takes the place of its placeholder, loaded from the
    /// page so its markup stays in Razor.
    /// </summary>
    public static string WaitingPanelText(string runId) =>
        $"<div id=\"run-approval\" hx-swap-oob=\"true\" hx-get=\"/Logs/{E(Uri.EscapeDataString(runId))}?handler=Approval\" hx-trigger=\"load\" hx-swap=\"outerHTML\"></div>";

    /// <summary>Once finished, a run can no longer be cancelled: the cancel form goes away.</summary>
    public static string FinishedActionsText() => "<div id=\"run-cancel\" hx-swap-oob=\"true\"></div>";

    public static string FormatDuration(long ms) => ms < 1000
        ? $"{ms} ms"
        : (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Log scale: 1 ms is a sliver, 100 s fills the bar; steps of very different lengths stay comparable.</summary>
    internal static int BarPercent(long ms) => (int)Math.Clamp(Math.Log10(ms + 1) / 5 * 100, 2, 100);

    private static string E(string text) => Encoder.Encode(text);

    private static string ToText(IHtmlContent content)
    {
        using var writer = new StringWriter();
        content.WriteTo(writer, HtmlEncoder.Default);
        return writer.ToString();
    }
}
