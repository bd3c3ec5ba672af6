using AiOrchestra.Engine.Execution;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Engine.Tests.Execution;

public sealed class RetryAfterHeaderTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Seconds_are_the_wait()
    {
        Assert.Equal(TimeSpan.FromSeconds(7), RetryAfterHeader.Wait("7", _time));
    }

    [Fact]
    public void A_date_is_measured_from_the_clock_and_a_past_one_means_no_wait()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), RetryAfterHeader.Wait(_time.GetUtcNow().AddSeconds(30).ToString("R"), _time));
        Assert.Equal(TimeSpan.Zero, RetryAfterHeader.Wait(_time.GetUtcNow().AddSeconds(-5).ToString("R"), _time));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    public void A_missing_or_unreadable_header_asks_for_nothing(string? header)
    {
        Assert.Null(RetryAfterHeader.Wait(header, _time));
    }
}
