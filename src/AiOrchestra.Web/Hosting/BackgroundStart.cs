namespace AiOrchestra.Web.Hosting;

/// <summary>
/// When the background work that no request waits for (triggers, alerts, history clean-up, due waits) starts: once the
/// app has answered its first request, or <see cref="Grace"/> after it started listening without one. Their first
/// passes took 0.3-0.5 s of CPU from Kestrel's start and the first <c>/health</c> on 2 cores
/// (tests/AiOrchestra.Bench/RESULTS.md); a schedule due at a restart fires at most <see cref="Grace"/> later.
/// </summary>
internal sealed class BackgroundStart(TimeProvider time)
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => _answered.Task.IsCompleted;

    /// <summary>The app has answered a request.</summary>
    public void Open() => _answered.TrySetResult();

    /// <summary>Completes when the app has answered a request, or <see cref="Grace"/> from now.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (IsOpen)
        {
            return;
        }
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(Grace, time, grace.Token);
        await Task.WhenAny(_answered.Task, delay);
        await grace.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Opens the start on the first response (first in the pipeline, so every request counts).</summary>
    internal sealed class OnFirstResponse(BackgroundStart start) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                await nextMiddleware(context);
                if (!start.IsOpen)
                {
                    start.Open();
                }
            });
            next(app);
        };
    }
}
