using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Engine.Tests.Execution;

/// <summary>A step type whose one action, <c>run</c>, does what the test says, and counts its calls.</summary>
internal sealed class FakeStep(string name, Func<StepCall, CancellationToken, Task<JsonNode?>> run) : IStepType
{
    private int _calls;

    public FakeStep(string name, Func<StepCall, JsonNode?> run)
        : this(name, (call, _) => Task.FromResult(run(call)))
    {
    }

    public string Name => name;
    public bool UsesLanguageModel { get; init; }
    public string Description => "test step";
    public IReadOnlyList<StepAction> Actions { get; } = [new("run", "runs", [])];
    public int Calls => Volatile.Read(ref _calls);

    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return run(call, cancellationToken);
    }

    /// <summary>Never finishes on its own; the returned task ends only through the token.</summary>
    public static async Task<JsonNode?> Hang(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return null;
    }
}

/// <summary>Writes down every journal call, in order, as short text.</summary>
internal sealed class RecordingJournal : IRunJournal
{
    private readonly List<string> _events = [];
    private readonly List<StepRecord> _finished = [];
    private readonly List<ItemRecord> _items = [];

    public IReadOnlyList<string> Events { get { lock (_events) { return _events.ToList(); } } }
    public IReadOnlyList<StepRecord> Finished { get { lock (_events) { return _finished.ToList(); } } }

    public ValueTask StepStartedAsync(string stepId, int index, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        lock (_events) { _events.Add($"started {stepId} #{index} attempt {attempt}"); }
        return ValueTask.CompletedTask;
    }

    public ValueTask StepFinishedAsync(StepRecord step, CancellationToken cancellationToken)
    {
        lock (_events)
        {
            _events.Add($"finished {step.StepId} {step.Status}");
            _finished.Add(step);
        }
        return ValueTask.CompletedTask;
    }

    public IReadOnlyList<ItemRecord> Items { get { lock (_events) { return _items.ToList(); } } }

    public ValueTask ItemFinishedAsync(ItemRecord item, CancellationToken cancellationToken)
    {
        lock (_events)
        {
            _events.Add($"item {item.StepId}[{item.ItemIndex}] {item.Status}");
            _items.Add(item);
        }
        return ValueTask.CompletedTask;
    }

    public void StepDelta(string stepId, string text)
    {
        lock (_events) { _events.Add($"delta {stepId} {text}"); }
    }

    private readonly List<string> _progress = [];

    /// <summary>Each loop progress report as "step #index: done of total", in order.</summary>
    public IReadOnlyList<string> Progress { get { lock (_events) { return _progress.ToList(); } } }

    public void LoopProgress(string stepId, int index, int done, int total)
    {
        lock (_events) { _progress.Add($"{stepId} #{index}: {done} of {total}"); }
    }
}

/// <summary>A fake clock that lets a test wait until the code under test has started a timer (a retry delay or a time limit).</summary>
internal sealed class ObservedTimeProvider : FakeTimeProvider
{
    private readonly List<TimeSpan> _timers = [];
    private readonly List<(TimeSpan DueTime, int Count, TaskCompletionSource Done)> _waiters = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_timers)
        {
            _timers.Add(dueTime);
            foreach (var waiter in _waiters.Where(w => Created(w.DueTime) >= w.Count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
        return timer;
    }

    /// <summary>Completes once <paramref name="count"/> timers due after <paramref name="dueTime"/> have been created.</summary>
    public Task WaitForTimerAsync(TimeSpan dueTime, int count = 1)
    {
        lock (_timers)
        {
            if (Created(dueTime) >= count)
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, count, done));
            // A guard against a hung test, not a timing assertion.
            return done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public IReadOnlyList<TimeSpan> Timers { get { lock (_timers) { return _timers.ToList(); } } }

    private int Created(TimeSpan dueTime) => _timers.Count(t => t == dueTime);
}

/// <summary>Jitter pinned to one value, so a test knows the exact backoff.</summary>
internal sealed class FixedRandom(double value) : Random
{
    public override double NextDouble() => value;
}
