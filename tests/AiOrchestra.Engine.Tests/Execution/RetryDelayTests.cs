using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Execution;

public sealed class RetryDelayTests
{
    private static readonly RetrySettings Settings = new() { MaxAttempts = 10, InitialDelayMs = 100, MaxDelayMs = 1000 };

    [Fact]
    public void The_backoff_doubles_per_failed_attempt_up_to_max_delay()
    {
        var delay = new RetryDelay(new FixedRandom(1.0));

        var waits = Enumerable.Range(1, 6).Select(attempt => delay.Next(Settings, attempt, null).TotalMilliseconds);

        Assert.Equal([100, 200, 400, 800, 1000, 1000], waits);
    }

    [Fact]
    public void Equal_jitter_keeps_at_least_half_the_backoff()
    {
        var lowest = new RetryDelay(new FixedRandom(0.0));
        var seeded = new RetryDelay(new Random(42));

        Assert.Equal(TimeSpan.FromMilliseconds(200), lowest.Next(Settings, 3, null));
        for (var i = 0; i < 100; i++)
        {
            var wait = seeded.Next(Settings, 3, null);
            Assert.InRange(wait, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400));
        }
    }

    [Fact]
    public void Retry_after_wins_when_longer_is_ignored_when_shorter_and_is_capped()
    {
        var delay = new RetryDelay(new FixedRandom(1.0));

        Assert.Equal(TimeSpan.FromSeconds(7), delay.Next(Settings, 1, TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromMilliseconds(400), delay.Next(Settings, 3, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(RetryDelay.MaxServerHint, delay.Next(Settings, 1, TimeSpan.FromHours(3)));
    }
}
