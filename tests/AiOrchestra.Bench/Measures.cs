using System.Globalization;

namespace AiOrchestra.Bench;

/// <summary>Percentiles of latencies in milliseconds (nearest rank).</summary>
internal static class Percentiles
{
    public static double Of(List<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.OrderBy(v => v).ToList();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>This process's resident memory from /proc/self/status (the app runs in this process).</summary>
internal static class Memory
{
    /// <summary>Resident set size now, in MB (VmRSS; the working set where there is no /proc).</summary>
    public static double ResidentMb() => Read("VmRSS:") ?? Environment.WorkingSet / 1024.0 / 1024.0;

    /// <summary>Peak resident set size since start or the last <see cref="ResetPeak"/>, in MB (VmHWM).</summary>
    public static double? PeakMb() => Read("VmHWM:");

    /// <summary>Resets VmHWM to the current RSS (Linux: 5 to /proc/self/clear_refs), so a peak belongs to one phase.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static double? Read(string field)
    {
        if (!File.Exists("/proc/self/status"))
        {
            return null;
        }
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kb = line[field.Length..].Trim().Split(' ')[0];
                return double.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        return null;
    }
}

/// <summary>One line of the result table.</summary>
internal sealed record Row(string Measure, string Value, string Target, string Verdict)
{
    public static Row Check(string measure, double value, string unit, string target, bool met) =>
        new(measure, Format(value, unit), target, met ? "met" : "MISSED");

    public static Row Info(string measure, string value) => new(measure, value, "—", "info");

    public static string Format(double value, string unit) =>
        (value >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.0#", CultureInfo.InvariantCulture)) + " " + unit;
}
