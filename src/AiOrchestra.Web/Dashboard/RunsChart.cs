using System.Globalization;

namespace AiOrchestra.Web.Dashboard;

/// <summary>One day of the chart: how many runs started, how many of them failed.</summary>
public sealed record RunsOnDay(DateOnly Day, int Total, int Failed);

/// <summary>One day's bar: its place and heights as SVG numbers, its hover title, and its label (every other day).</summary>
public sealed record RunsChartBar(string X, string Width, string OkY, string OkHeight, string FailedY, string FailedHeight, bool HasFailed, string Title, string LabelX, string? Label);

/// <summary>
/// A small bar chart of runs per day drawn as inline SVG on the server (<c>Pages/Shared/_RunsChart.cshtml</c>; no
/// script, readable by screen readers via its label). Here only the geometry is worked out.
/// </summary>
public sealed record RunsChart(int Width, int Height, int Days, IReadOnlyList<RunsChartBar> Bars)
{
    private const int ChartWidth = 560;
    private const int ChartHeight = 120;

    public static RunsChart From(IReadOnlyList<RunsOnDay> days)
    {
        var max = Math.Max(1, days.Count == 0 ? 1 : days.Max(d => d.Total));
        var slot = days.Count == 0 ? ChartWidth : (double)ChartWidth / days.Count;
        var bars = new List<RunsChartBar>(days.Count);
        for (var i = 0; i < days.Count; i++)
        {
            var day = days[i];
            var x = i * slot + slot * 0.15;
            var w = slot * 0.7;
            var h = day.Total * (double)ChartHeight / max;
            var failed = day.Failed * (double)ChartHeight / max;
            // every other day, counted back from the last: today always has its label
            var label = (days.Count - 1 - i) % 2 == 0 ? day.Day.ToString("d MMM", CultureInfo.InvariantCulture) : null;
            bars.Add(new RunsChartBar(
                N(x), N(w), N(ChartHeight - h), N(h - failed), N(ChartHeight - failed), N(failed), failed > 0,
                $"{day.Day.ToString("MMM d", CultureInfo.InvariantCulture)}: {day.Total} runs, {day.Failed} failed", N(x + w / 2), label));
        }
        return new RunsChart(ChartWidth, ChartHeight, days.Count, bars);
    }

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
