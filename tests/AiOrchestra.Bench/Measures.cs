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

/// <summary>Resident memory from /proc/&lt;pid&gt;/status: this process's (the app runs in it) or another's.</summary>
internal static class Memory
{
    /// <summary>Resident set size now, in MB (VmRSS; the working set where there is no /proc).</summary>
    public static double ResidentMb() => Read("self", "VmRSS:") ?? Environment.WorkingSet / 1024.0 / 1024.0;

    /// <summary>Resident set size of process <paramref name="processId"/> now, in MB.</summary>
    public static double ResidentMb(int processId) =>
        Read(processId.ToString(CultureInfo.InvariantCulture), "VmRSS:") ?? System.Diagnostics.Process.GetProcessById(processId).WorkingSet64 / 1024.0 / 1024.0;

    /// <summary>Peak resident set size since start or the last <see cref="ResetPeak"/>, in MB (VmHWM).</summary>
    public static double? PeakMb() => Read("self", "VmHWM:");

    /// <summary>Peak resident set size of process <paramref name="processId"/> since it started, in MB (VmHWM).</summary>
    public static double? PeakMb(int processId) => Read(processId.ToString(CultureInfo.InvariantCulture), "VmHWM:");

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

    private static double? Read(string process, string field)
    {
        var status = $"/proc/{process}/status";
        if (!File.Exists(status))
        {
            return null;
        }
        foreach (var line in File.ReadLines(status))
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
