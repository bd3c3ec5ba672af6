using System.Globalization;
using AiOrchestra.Web.Runs;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// A step's row in a run's timeline (<c>Pages/Logs/_StepRow.cshtml</c>): drawn by the run page, and sent by the live
/// stream as an out-of-band swap of the same markup, so a live page and a reloaded page look the same.
/// </summary>
public sealed record StepRow(StepState Step, bool OutOfBand = false)
{
    public string Id => RunPageNames.Ids.Step(Step.StepId);

    public bool Running => Step.Status == "running";

    /// <summary>What the row's head says besides the status: attempts, duration, tokens (e.g. "2 attempts · 1.2 s").</summary>
    public string Meta
    {
        get
        {
            var meta = new List<string>(3);
            if (Step.Attempts > 1)
            {
                meta.Add($"{Step.Attempts} attempts");
            }
            if (Step.Finished)
            {
                meta.Add(FormatDuration(Step.DurationMs));
            }
            if (Step.Usage is { } usage)
            {
                meta.Add($"{usage.TotalTokens} tokens");
            }
            return string.Join(" · ", meta);
        }
    }

    /// <summary>Log scale: 1 ms is a sliver, 100 s fills the bar; steps of very different lengths stay comparable.</summary>
    public int BarPercent => BarPercentOf(Step.DurationMs);

    internal static int BarPercentOf(long ms) => (int)Math.Clamp(Math.Log10(ms + 1) / 5 * 100, 2, 100);

    public static string FormatDuration(long ms) => ms < 1000
        ? $"{ms} ms"
        : (ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
