namespace AiOrchestra.Engine.Steps.Integrations;

/// <summary>
/// Counts the HTTP requests one step attempt sends, retries included. The step sets a fresh counter in an
/// AsyncLocal before calling its provider; <see cref="AttemptCountingHandler"/>, placed inside the resilience
/// pipeline, adds one per request that actually goes out. The AsyncLocal flows with the call, so SDKs that
/// create their own requests (OpenAI, Octokit, Google auth) are counted too, and parallel steps never mix.
/// </summary>
public sealed class HttpAttempts
{
    private static readonly AsyncLocal<HttpAttempts?> s_current = new();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    internal static HttpAttempts? Current => s_current.Value;

    /// <summary>Starts counting for the calling async flow (call it inside the step's own async method).</summary>
    public static HttpAttempts Begin()
    {
        var attempts = new HttpAttempts();
        s_current.Value = attempts;
        return attempts;
    }

    internal void Add() => Interlocked.Increment(ref _count);
}

/// <summary>Adds one to the current step's <see cref="HttpAttempts"/> for every request sent; register it inside the retry handler.</summary>
public sealed class AttemptCountingHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpAttempts.Current?.Add();
        return base.SendAsync(request, cancellationToken);
    }
}
