using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// The engine's own instruments, on the meter the host exports (<c>AiOrchestra</c>). Static because the engine has no
/// container; an instrument nobody listens to records nothing, so this costs a check when metrics are off.
/// </summary>
public static class EngineMetrics
{
    public const string MeterName = "AiOrchestra";

    private static readonly Meter s_meter = new(MeterName);

    private static readonly Counter<long> s_tokens = s_meter.CreateCounter<long>(
        "aiorchestra.llm.tokens", "{token}", "Tokens LLM calls used, by model and direction (input or output)");

    /// <summary>One LLM answer's usage.</summary>
    public static void Tokens(string model, long input, long output)
    {
        if (!s_tokens.Enabled)
        {
            return;
        }
        s_tokens.Add(input, new TagList { { "model", model }, { "direction", "input" } });
        s_tokens.Add(output, new TagList { { "model", model }, { "direction", "output" } });
    }
}
