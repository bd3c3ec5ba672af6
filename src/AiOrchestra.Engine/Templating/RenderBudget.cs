using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Engine.Templating;

/// <summary>
/// How much text one rendering may produce. Repeating a reference multiplies text, so every piece is counted as it
/// is added and rendering stops as soon as the total passes the limit, never after building the whole text.
/// </summary>
public sealed class RenderBudget(long maxBytes)
{
    /// <summary>The default of <c>Runs:MaxRenderedParameterBytes</c>: 1 MiB.</summary>
    public const long DefaultMaxBytes = 1024 * 1024;

    public long MaxBytes { get; } = maxBytes;

    /// <summary>UTF-8 bytes rendered so far.</summary>
    public long Used { get; private set; }

    public static RenderBudget Default() => new(DefaultMaxBytes);

    internal void Spend(string text) => Spend(Encoding.UTF8.GetByteCount(text));

    internal void Spend(JsonNode? value) => Spend(JsonSize.Of(value, MaxBytes - Used + 1));

    private void Spend(long bytes)
    {
        Used += bytes;
        if (Used > MaxBytes)
        {
            throw new TemplateLimitException(
                $"the rendered text is larger than {JsonSize.Format(MaxBytes)}, the most one parameter may render "
                + $"(setting {ExecutionLimits.RenderedParameterSetting}); reference large values fewer times, or raise the limit");
        }
    }
}
