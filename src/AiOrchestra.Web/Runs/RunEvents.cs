using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Live events of runs, fanned out in-process to the dashboard and the API. A subscriber gets the run's state so
/// far, then the live tail, and the stream ends after <c>run-finished</c> (or when the app stops). Active runs are
/// served from memory; a finished run's events are kept a few seconds for its subscribers' reconnects, then rebuilt
/// from the stored rows when asked.
/// </summary>
public sealed class RunEvents(IDbContextFactory<AppDbContext> dbs, IOptions<RunOptions> options, TimeProvider time, IHostApplicationLifetime lifetime)
{
    private readonly ConcurrentDictionary<string, RunFeed> _feeds = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string RunId, DateTimeOffset DropAt)> _finished = new();
    private readonly object _sweeping = new();

    /// <summary>
    /// On PostgreSQL, the exchange of live events with the other processes on the database (set by it when it starts);
    /// null on SQLite, where this process executes every run.
    /// </summary>
    internal Data.Postgres.RunEventRelay? Relay { get; set; }

    /// <summary>Runs whose events are held in memory (active, or finished within the retention time).</summary>
    public int HeldRunCount => _feeds.Count;

    /// <summary>
    /// The events of the owner's run after <paramref name="afterSequence"/>: first the state so far, then live
    /// ones; the sequence ends after <c>run-finished</c>. Empty when the owner has no such run.
    /// </summary>
    public async IAsyncEnumerable<RunEvent> SubscribeAsync(
        string ownerId, string runId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Sweep();
        var status = await FindStatusAsync(ownerId, runId, cancellationToken);
        if (status is null)
        {
            yield break;
        }

        // a finished or waiting run whose events are no longer in memory is rebuilt from the store
        if ((status.Value.IsFinished() || status == RunStatus.Waiting) && !_feeds.ContainsKey(runId))
        {
            await foreach (var item in ReplayAsync(runId, afterSequence, cancellationToken))
            {
                yield return item;
            }
            yield break;
        }

        var (feed, history, queue) = Join(runId, afterSequence, mayReconnect: true);
        try
        {
            if (!feed.Started)
            {
                // not started here yet: the worker takes this feed when it starts the run, unless the run finished in
                // between; with other processes on the database, the one that executes it is asked for its events
                Relay?.Watch(feed);
                var now = await FindStatusAsync(ownerId, runId, cancellationToken);
                // finished or paused in between: nothing will publish into this feed, the stored rows say it all
                if (now is null || now.Value.IsFinished() || now == RunStatus.Waiting)
                {
                    // the stored rows are complete: the worker writes before it publishes
                    await foreach (var item in ReplayAsync(runId, afterSequence, cancellationToken))
                    {
                        yield return item;
                    }
                    yield break;
                }
            }
            foreach (var item in history)
            {
                yield return item;
            }
            await foreach (var item in LiveAsync(queue.Reader, cancellationToken))
            {
                // a resumed run (or another process) may send again what this subscriber had before it reconnected
                if (item.Sequence > afterSequence || item.Type is RunEvent.RunFinished or RunEvent.RunWaiting)
                {
                    yield return item;
                }
            }
        }
        finally
        {
            Leave(feed, queue);
        }
    }

    /// <summary>
    /// A subscription's live tail, which also ends when the app starts stopping: an open stream would otherwise hold
    /// the shutdown for its whole timeout, and a client that reconnects with its Last-Event-ID once the app is back
    /// misses nothing (the run resumes where it was).
    /// </summary>
    internal async IAsyncEnumerable<RunEvent> LiveAsync(ChannelReader<RunEvent> live, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var untilStopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        while (await WaitToReadAsync(live, untilStopping.Token))
        {
            while (live.TryRead(out var item))
            {
                yield return item;
            }
        }
    }

    private async ValueTask<bool> WaitToReadAsync(ChannelReader<RunEvent> live, CancellationToken cancellationToken)
    {
        try
        {
            return await live.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Subscribes to a run that is not stored yet: call it before the run's insert is committed. The worker can only
    /// start the run after that, so it publishes into this very feed, and neither the run's owner nor its status need
    /// be read from the store (<see cref="SubscribeAsync"/> reads them once or twice). The watcher waits for its own
    /// new run and cannot reconnect, so the run's events are not kept for it after run-finished; it is handed only the
    /// run's end (run-finished or run-waiting), so the run's other events do not wake it.
    /// </summary>
    internal RunWatch WatchNew(string runId)
    {
        Sweep();
        var (feed, _, queue) = Join(runId, 0, mayReconnect: false, endOnly: true);
        return new RunWatch(this, feed, queue);
    }

    /// <summary>
    /// Subscribes to the run's feed, made now if there is none. A feed found here may have just been retired by its
    /// last other subscriber leaving (the worker will never publish into it): then it takes a new one.
    /// </summary>
    private (RunFeed Feed, List<RunEvent> History, Channel<RunEvent> Queue) Join(string runId, long afterSequence, bool mayReconnect, bool endOnly = false)
    {
        while (true)
        {
            var feed = _feeds.GetOrAdd(runId, id => new RunFeed(id));
            if (feed.TrySubscribe(afterSequence, mayReconnect, endOnly) is { } joined)
            {
                return (feed, joined.History, joined.Queue);
            }
            _feeds.TryRemove(new KeyValuePair<string, RunFeed>(runId, feed));
        }
    }

    /// <summary>A subscriber leaves; a feed of a run that never started here goes with its last subscriber.</summary>
    internal void Leave(RunFeed feed, Channel<RunEvent> queue)
    {
        feed.Unsubscribe(queue);
        if (Retire(feed))
        {
            Relay?.Left(feed);
        }
    }

    /// <summary>The worker starts publishing a run's events.</summary>
    internal RunFeed Open(string runId)
    {
        Sweep();
        while (true)
        {
            var feed = _feeds.GetOrAdd(runId, id => new RunFeed(id));
            if (feed.TryStart())
            {
                Relay?.Opened(feed);
                return feed;
            }
            _feeds.TryRemove(new KeyValuePair<string, RunFeed>(runId, feed));
        }
    }

    /// <summary>
    /// The run is about to publish run-finished: its events go after the retention time, or at once when nobody
    /// subscribed to them. Only a subscriber can come back with a Last-Event-ID; anyone else gets the finished run
    /// from the store. Keeping every run's events would hold seconds' worth of runs in memory at full load.
    /// </summary>
    internal void Close(RunFeed feed)
    {
        var retention = TimeSpan.FromSeconds(options.Value.EventRetentionSeconds);
        if (retention == TimeSpan.Zero || !feed.HadSubscribers)
        {
            _feeds.TryRemove(new KeyValuePair<string, RunFeed>(feed.RunId, feed));
            return;
        }
        _finished.Enqueue((feed.RunId, time.GetUtcNow() + retention));
    }

    /// <summary>
    /// The run paused at a waiting step: its subscribers get run-waiting and their streams end, and the feed goes at once,
    /// so a wait of days holds nothing in memory and the resumed run (here or in another process) starts a fresh feed.
    /// </summary>
    internal void Pause(RunFeed feed, StepRecord waiting, DateTimeOffset now)
    {
        _feeds.TryRemove(new KeyValuePair<string, RunFeed>(feed.RunId, feed));
        feed.Publish(WaitingEvent(feed.RunId, 0, waiting.Index, waiting.StepId, now));
    }

    private static RunEvent WaitingEvent(string runId, long number, int index, string stepId, DateTimeOffset timestamp) => new()
    {
        RunId = runId, Sequence = number, Type = RunEvent.RunWaiting, Timestamp = timestamp,
        Status = RunStatus.Waiting.ToText(), StepId = stepId, Index = index,
    };

    /// <summary>A run cancelled before it started: tell anyone waiting on it.</summary>
    internal void PublishCancelledBeforeStart(string runId)
    {
        if (_feeds.TryGetValue(runId, out var feed))
        {
            Close(feed);
            feed.Publish(new RunEvent
            {
                RunId = runId, Sequence = 0, Type = RunEvent.RunFinished, Timestamp = time.GetUtcNow(),
                Status = RunStatus.Cancelled.ToText(),
            });
        }
    }

    private bool Retire(RunFeed feed)
    {
        if (!feed.TryRetire())
        {
            return false;
        }
        _feeds.TryRemove(new KeyValuePair<string, RunFeed>(feed.RunId, feed));
        return true;
    }

    /// <summary>
    /// The feeds a request here waits on (<see cref="WatchNew"/>) whose run has neither started here nor ended: on
    /// PostgreSQL, runs another process executes, whose end this process hears over NOTIFY.
    /// </summary>
    internal List<RunFeed> WaitedOnElsewhere() => _feeds.Values.Where(f => f.HasWaiter && !f.Started && !f.Finished).ToList();

    /// <summary>The feed this process holds for the run, if any (started here, or waited on here).</summary>
    internal RunFeed? Find(string runId) => _feeds.GetValueOrDefault(runId);

    private void Sweep()
    {
        if (_finished.IsEmpty || !Monitor.TryEnter(_sweeping))
        {
            return;
        }
        try
        {
            var now = time.GetUtcNow();
            while (_finished.TryPeek(out var head) && head.DropAt <= now && _finished.TryDequeue(out head))
            {
                _feeds.TryRemove(head.RunId, out _);
            }
        }
        finally
        {
            Monitor.Exit(_sweeping);
        }
    }

    private async Task<RunStatus?> FindStatusAsync(string ownerId, string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var found = await db.Runs.AsNoTracking()
            .Where(r => r.Id == runId && r.OwnerId == ownerId)
            .Select(r => new { r.Status })
            .FirstOrDefaultAsync(cancellationToken);
        return found?.Status;
    }

    /// <summary>A run's events rebuilt from its stored rows, with the ids they had live.</summary>
    private async IAsyncEnumerable<RunEvent> ReplayAsync(string runId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var item in (await StoredEventsAsync(runId, cancellationToken)).Where(e => e.Sequence > afterSequence || e.Type is RunEvent.RunFinished or RunEvent.RunWaiting))
        {
            yield return item;
        }
    }

    /// <summary>A run's events rebuilt from its stored rows (<see cref="Rebuild"/>); none for no such run.</summary>
    internal async Task<List<RunEvent>> StoredEventsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null)
        {
            return [];
        }
        var steps = await db.StepsOf(runId).AsNoTracking().OrderBy(s => s.Index).ToListAsync(cancellationToken);
        var entries = await db.RunStepEntries.AsNoTracking().Where(e => e.RunId == runId)
            .OrderBy(e => e.StepIndex).ThenBy(e => e.ItemIndex).ThenBy(e => e.Sequence).ToListAsync(cancellationToken);
        return Rebuild(run, steps, entries).ToList();
    }

    internal static IEnumerable<RunEvent> Rebuild(Run run, IReadOnlyList<RunStep> steps, IReadOnlyList<RunStepEntry> entries)
    {
        var stored = Stored(run, steps, entries, numberTheRest: true);
        var last = stored.Count == 0 ? 0 : stored[^1].Sequence;
        foreach (var item in stored)
        {
            yield return item;
        }
        // the end was the next event sent: every event before it belongs to a step, which is stored once it finishes
        if (run.Status == RunStatus.Waiting && steps.LastOrDefault(s => s.Status == StepStatus.Waiting) is { } waiting)
        {
            yield return WaitingEvent(run.Id, last + 1, waiting.Index, waiting.StepId, waiting.FinishedAt ?? run.CreatedAt);
        }
        if (run.Status.IsFinished())
        {
            yield return new RunEvent
            {
                RunId = run.Id, Sequence = last + 1, Type = RunEvent.RunFinished, Timestamp = run.FinishedAt ?? run.CreatedAt,
                Status = run.Status.ToText(), WorkflowId = run.WorkflowId, Error = run.Error,
            };
        }
    }

    /// <summary>
    /// The run's stored events in the order of the ids they were sent with. One stored without an id (a step copied by
    /// a resume, an answered approval, a row older than the ids) comes after them, numbered on when
    /// <paramref name="numberTheRest"/> and with id 0 (for the feed to number) otherwise.
    /// </summary>
    internal static List<RunEvent> Stored(Run run, IReadOnlyList<RunStep> steps, IReadOnlyList<RunStepEntry> entries, bool numberTheRest)
    {
        var numbered = new List<RunEvent>();
        var rest = new List<RunEvent>();
        void Add(long? number, RunEvent item)
        {
            if (number is > 0)
            {
                numbered.Add(item with { Sequence = number.Value });
            }
            else
            {
                rest.Add(item);
            }
        }

        if (run.StartedAt is { } started)
        {
            Add(1, new RunEvent
            {
                RunId = run.Id, Sequence = 0, Type = RunEvent.RunStarted, Timestamp = started,
                Status = RunStatus.Running.ToText(), WorkflowId = run.WorkflowId,
            });
        }
        foreach (var step in steps)
        {
            // a step that was never sent as started (skipped, copied by a resume) is not replayed as started either
            if (step.StartedEvent is not null || step.FinishedAt is null)
            {
                Add(step.StartedEvent, new RunEvent
                {
                    RunId = run.Id, Sequence = 0, Type = RunEvent.StepStarted, Timestamp = step.StartedAt ?? run.CreatedAt,
                    Status = WorkflowResultJson.StatusName(StepStatus.Running), StepId = step.StepId, Index = step.Index, Attempt = step.Attempts,
                });
            }
            foreach (var entry in entries.Where(e => e.StepIndex == step.Index))
            {
                Add(entry.Event, EntryEvent(run.Id, 0, entry.StepId, entry.StepIndex, entry.ItemIndex, JsonNode.Parse(entry.Entry) as JsonObject ?? [], entry.RecordedAt));
            }
            if (step.FinishedAt is { } finished)
            {
                Add(step.FinishedEvent, RunEvent.ForStep(RunEvent.StepFinished, StepState.From(run.Id, step), finished, 0));
            }
        }
        var ordered = numbered.OrderBy(e => e.Sequence).ToList();
        var last = ordered.Count == 0 ? 0 : ordered[^1].Sequence;
        ordered.AddRange(numberTheRest ? rest.Select(e => e with { Sequence = ++last }) : rest);
        return ordered;
    }

    /// <summary>
    /// Starts the feed of a run going on after a pause or a crash: what it had stored first, with the ids it was sent
    /// with, then new events numbered after a jump (<see cref="RunEvent.ResumeGap"/>).
    /// </summary>
    internal async Task ResumeAsync(RunFeed feed, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstAsync(r => r.Id == feed.RunId, cancellationToken);
        var steps = await db.StepsOf(feed.RunId).AsNoTracking().OrderBy(s => s.Index).ToListAsync(cancellationToken);
        var entries = await db.RunStepEntries.AsNoTracking().Where(e => e.RunId == feed.RunId)
            .OrderBy(e => e.StepIndex).ThenBy(e => e.ItemIndex).ThenBy(e => e.Sequence).ToListAsync(cancellationToken);
        var stored = Stored(run, steps, entries, numberTheRest: false);
        feed.Resume(stored, stored.Where(e => e.Sequence > 0).Select(e => e.Sequence).DefaultIfEmpty(0).Max() + RunEvent.ResumeGap);
    }

    /// <summary>A note a step recorded (an agent's turn or tool call).</summary>
    internal static RunEvent EntryEvent(string runId, long number, string stepId, int stepIndex, int itemIndex, JsonObject entry, DateTimeOffset recordedAt) => new()
    {
        RunId = runId, Sequence = number, Type = RunEvent.StepEntry, Timestamp = recordedAt,
        StepId = stepId, Index = stepIndex, Item = itemIndex, Entry = entry,
    };
}
