namespace AiOrchestra.Web.Triggers;

/// <summary>
/// A webhook's calls per minute, counted in fixed windows of the app's clock. No timer behind it: a route's limit is
/// dropped with the route when a save clears the routes, and tests move the clock instead of waiting.
/// </summary>
public sealed class WebhookRateLimit(int perMinute, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Lock _lock = new();
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _taken;

    public int PerMinute => perMinute;

    /// <summary>Takes one call; false with the wait until the next window when this one is full.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (now - _windowStart >= Window)
            {
                _windowStart = now;
                _taken = 0;
            }
            if (_taken < perMinute)
            {
                _taken++;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            retryAfter = _windowStart + Window - now;
            return false;
        }
    }
}
