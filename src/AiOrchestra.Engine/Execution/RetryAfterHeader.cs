using System.Net.Http.Headers;

namespace AiOrchestra.Engine.Execution;

/// <summary>How long a server's Retry-After header asks to wait before the next attempt.</summary>
public static class RetryAfterHeader
{
    /// <summary>
    /// The wait <paramref name="header"/> asks for: its seconds, or the time until its date measured from
    /// <paramref name="time"/> (zero when the date has passed); null when there is no header.
    /// </summary>
    public static TimeSpan? Wait(RetryConditionHeaderValue? header, TimeProvider time)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>The wait a raw Retry-After value asks for; null when it is missing or unreadable.</summary>
    public static TimeSpan? Wait(string? header, TimeProvider time) =>
        RetryConditionHeaderValue.TryParse(header, out var parsed) ? Wait(parsed, time) : null;
}
