using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Html;

namespace AiOrchestra.Web.Dashboard;

/// <summary>One day of the chart: how many runs started, how many of them failed.</summary>
public sealed record RunsOnDay(DateOnly Day, int Total, int Failed);

/// <summary>A small bar chart of runs per day drawn as inline SVG on the server (no script, readable by screen readers via its table).</summary>
public static class RunsChart
{
    private const int Width = 560;
    private const int Height = 120;

    public static IHtmlContent Render(IReadOnlyList<RunsOnDay> days)
    {
        var max = Math.Max(1, days.Count == 0 ? 1 : days.Max(d => d.Total));
        var slot = days.Count == 0 ? Width : (double)Width / days.Count;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height + 20}\" role=\"img\" aria-label=\"Runs per day over the last {days.Count} days\">");
        for (var i = 0; i < days.Count; i++)
        {
            var day = days[i];
            var x = i * slot + slot * 0.15;
            var w = slot * 0.7;
            var h = day.Total * (double)Height / max;
            var failed = day.Failed * (double)Height / max;
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect class=\"ok\" x=\"{x:0.#}\" y=\"{Height - h:0.#}\" width=\"{w:0.#}\" height=\"{h - failed:0.#}\"><title>{day.Day:MMM d}: {day.Total} runs, {day.Failed} failed</title></rect>");
            if (failed > 0)
            {
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"failed\" x=\"{x:0.#}\" y=\"{Height - failed:0.#}\" width=\"{w:0.#}\" height=\"{failed:0.#}\"></rect>");
            }
            // every other day, counted back from the last: today always has its label
            if ((days.Count - 1 - i) % 2 == 0)
            {
                svg.Append(CultureInfo.InvariantCulture,
                    $"<text x=\"{x + w / 2:0.#}\" y=\"{Height + 15}\" text-anchor=\"middle\">{day.Day:d MMM}</text>");
            }
        }
        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }
}
