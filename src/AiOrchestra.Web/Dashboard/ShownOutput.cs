using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Runs;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// An output as the run page shows it (<c>Pages/Logs/_Output.cshtml</c>): a text as Markdown, any other JSON value as
/// indented JSON; at most <c>Runs:MaxDisplayedOutputBytes</c> of it, so one large output cannot make the page or the
/// live stream heavy. A cut output says so and, for a step's output, links to the full value.
/// </summary>
/// <param name="Markdown">The text to render as Markdown; null for a JSON value.</param>
/// <param name="Json">The indented JSON; null for a text.</param>
/// <param name="CutNote">"Showing the first 64 KiB of 1.2 MiB." when cut; null when whole.</param>
/// <param name="FullUrl">Where the whole output is served, when it was cut and belongs to a step.</param>
public sealed record ShownOutput(string? Markdown, string? Json, string? CutNote, string? FullUrl);

/// <summary>Cuts outputs to what the run page shows.</summary>
public sealed class OutputDisplay(IOptions<RunOptions>? options = null)
{
    private readonly int _maxShown = options?.Value.MaxDisplayedOutputBytes ?? new RunOptions().MaxDisplayedOutputBytes;

    // relaxed: quotes and < stay readable in the JSON text, which Razor HTML-encodes before it reaches the page
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="runId">With <paramref name="stepId"/>, the step whose full output a cut one links to.</param>
    public ShownOutput Show(JsonNode? output, string? runId = null, string? stepId = null)
    {
        var size = JsonSize.Of(output, _maxShown + 1L);
        var cut = size > _maxShown;
        var note = cut ? $"Showing the first {JsonSize.Format(_maxShown)} of {JsonSize.Format(JsonSize.Of(output))}." : null;
        var url = cut && runId is not null && stepId is not null ? RunPageNames.FullOutputUrl(runId, stepId) : null;
        if (output is JsonValue value && value.TryGetValue<string>(out var text))
        {
            return new ShownOutput(cut ? Start(text, _maxShown) : text, null, note, url);
        }
        var json = output?.ToJsonString(Indented) ?? "null";
        return new ShownOutput(null, cut ? Start(json, _maxShown) + "\n…" : json, note, url);
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
}
