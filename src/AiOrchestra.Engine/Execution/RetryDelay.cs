using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// How long to wait before the next attempt of a transiently failing step: exponential backoff from
/// <c>initial_delay_ms</c>, doubling per failed attempt up to <c>max_delay_ms</c>, with equal jitter.
/// Equal jitter (half fixed, half random) rather than full jitter so a retry never follows a failure at once:
/// a struggling server always gets at least half the backoff.
/// A server's Retry-After hint wins when it asks for longer, up to <see cref="MaxServerHint"/>.
/// </summary>
public sealed class RetryDelay
{
    /// <summary>The longest a Retry-After hint may hold a run: a run waits for a server, not for hours.</summary>
    public static readonly TimeSpan MaxServerHint = TimeSpan.FromMinutes(5);

    private readonly Random _random;

    /// <param name="random">Source of jitter; <see cref="Random.Shared"/> is safe for concurrent runs.</param>
    public RetryDelay(Random random)
    {
        _random = random;
    }

    /// <summary>The wait after attempt number <paramref name="failedAttempt"/> (1-based) failed.</summary>
    public TimeSpan Next(RetrySettings settings, int failedAttempt, TimeSpan? retryAfter)
    {
        var initial = Math.Max(0, settings.InitialDelayMs);
        var max = Math.Max(initial, settings.MaxDelayMs);
        var exponent = Math.Min(failedAttempt - 1, 30);
        var backoff = Math.Min(max, initial * Math.Pow(2, exponent));
        var jittered = backoff / 2 + backoff / 2 * _random.NextDouble();
        var delay = TimeSpan.FromMilliseconds(Math.Round(jittered));

        if (retryAfter is { } hint && hint > delay)
        {
            delay = hint < MaxServerHint ? hint : MaxServerHint;
        }
        return delay;
    }
}
