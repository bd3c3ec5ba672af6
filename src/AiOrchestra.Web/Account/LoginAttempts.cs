using System.Globalization;
using System.Threading.RateLimiting;
using AiOrchestra.Web.Api.Auth;

namespace AiOrchestra.Web.Account;

/// <summary>
/// One budget of password attempts per client address (<c>Auth:LoginAttemptsPerMinute</c>), shared by everything that
/// checks a password: <c>POST /api/auth/login</c>, the login page and the password page. Sharing it means an address
/// cannot get more guesses by switching between them. The lockout still counts failures per account on top.
/// </summary>
public sealed class LoginAttempts(AuthOptions options, TimeProvider time) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.LoginAttemptsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    public int PerMinute => options.LoginAttemptsPerMinute;

    /// <summary>Takes one attempt from the caller's address: null when it may go on, otherwise how long to wait.</summary>
    public TimeSpan? Take(HttpContext context)
    {
        using var lease = _limiter.AttemptAcquire(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (lease.IsAcquired)
        {
            return null;
        }
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
        // whole seconds, at least one: what Retry-After and a person can use
        wait = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(wait.TotalSeconds)));
        context.Response.Headers.RetryAfter = ((int)wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return wait;
    }

    /// <summary>The sentence for a refused attempt: the limit, and when to try again (the server's clock, UTC).</summary>
    public string Refusal(TimeSpan wait)
    {
        var seconds = (int)wait.TotalSeconds;
        var at = time.GetUtcNow().Add(wait).ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        return $"Too many password attempts from your address: at most {PerMinute} a minute are accepted. "
            + $"Try again in {seconds} second{(seconds == 1 ? "" : "s")} (at {at} UTC).";
    }

    public void Dispose() => _limiter.Dispose();
}
