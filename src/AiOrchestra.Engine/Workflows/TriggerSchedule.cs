using Cronos;

namespace AiOrchestra.Engine.Workflows;

/// <summary>When a schedule trigger is due: cron in its time zone (Cronos), or a fixed interval counted from the Unix epoch.</summary>
public static class TriggerSchedule
{
    /// <summary>Parses 5 fields (minute first), 6 (seconds first) or a macro such as <c>@daily</c>; throws <see cref="CronFormatException"/>.</summary>
    public static CronExpression ParseCron(string cron)
    {
        var fields = cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        return CronExpression.Parse(cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
    }

    /// <summary>The time zone's id as written, or UTC when none is; throws <see cref="TimeZoneNotFoundException"/>.</summary>
    public static TimeZoneInfo Zone(string? timeZone) =>
        string.IsNullOrEmpty(timeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timeZone);

    /// <summary>
    /// The first due time strictly after <paramref name="after"/>, or null when there is none (a cron date that
    /// never comes). Cron is read in the trigger's time zone, so a daylight-saving change neither skips nor repeats
    /// a run; an interval is counted from the Unix epoch, so every process and restart agrees on the due times.
    /// </summary>
    public static DateTimeOffset? Next(WorkflowTrigger trigger, DateTimeOffset after)
    {
        if (trigger.Cron is { } cron)
        {
            return ParseCron(cron).GetNextOccurrence(after.ToUniversalTime(), Zone(trigger.TimeZone));
        }
        if (trigger.EverySeconds is > 0 and var seconds)
        {
            var period = seconds * 1000L;
            var ms = after.ToUnixTimeMilliseconds();
            return DateTimeOffset.FromUnixTimeMilliseconds((ms / period + 1) * period);
        }
        return null;
    }

    /// <summary>The next <paramref name="count"/> due times after <paramref name="after"/>, as shown in the editor.</summary>
    public static IReadOnlyList<DateTimeOffset> NextTimes(WorkflowTrigger trigger, DateTimeOffset after, int count)
    {
        var times = new List<DateTimeOffset>(count);
        var from = after;
        while (times.Count < count && Next(trigger, from) is { } next)
        {
            times.Add(next);
            from = next;
        }
        return times;
    }
}
