using System.Threading.Channels;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// The one writer of run state. Writes from every run in flight queue up here; the loop takes what is pending,
/// applies it in one transaction and commits once (group commit), then completes each caller's task. SQLite
/// gets a single writer (never busy) and one commit per batch instead of one per write.
/// </summary>
public sealed class RunWriter(
    IDbContextFactory<AppDbContext> dbs, StoreSql provider, StoreFailures failures, Microsoft.Extensions.Options.IOptions<History.RetentionOptions> retention,
    ILogger<RunWriter> log)
    : BackgroundService
{
    private readonly long _maxOutputBytes = retention.Value.MaxOutputBytes;

    /// <summary>The cap on a stored step output (<c>Retention:MaxOutputBytes</c>).</summary>
    internal long MaxOutputBytes => _maxOutputBytes;

    private const int MaxBatch = 1024;

    /// <summary>SQLite: the write-ahead log's checkpoints, off the writer's thread (for tests).</summary>
    internal Data.Sqlite.WalCheckpoints? Checkpoints { get; private set; }

    // The loop is the one reader and its continuation only sets _ready: run inline by the write that wakes it, rather
    // than as a thread-pool work item per batch.
    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });

    // Waited on by the loop's own thread without spinning first: a spin per batch was most of the writer's CPU (RESULTS.md).
    private readonly ManualResetEventSlim _ready = new(false, spinCount: 0);
    private Action? _setReady;

    /// <summary>
    /// Stores a queued run; a test run's <paramref name="pinned"/> steps and the <paramref name="audit"/> entry of a run
    /// started by hand are stored with it, in the same transaction.
    /// </summary>
    internal Task InsertRunAsync(Run run, IReadOnlyList<StepRecord>? pinned = null, Audit.AuditEntry? audit = null) => Enqueue(sql =>
    {
        sql.InsertRun(run);
        if (audit is not null)
        {
            sql.InsertAudit(audit);
        }
        foreach (var step in pinned ?? [])
        {
            sql.StepFinished(run.Id, step, step.Output?.ToJsonString(), fullBytes: null, startedEvent: null, finishedEvent: null, ledger: null, totals: null);
        }
        return true;
    });

    internal Task InsertChildAsync(Run run, string worker) => Enqueue(sql => { sql.InsertChild(run, worker); return true; });

    internal Task<bool> TakeChildAsync(string runId, string worker) => Enqueue(sql => sql.TakeChild(runId, worker));

    internal Task<List<ClaimedRun>> ClaimAsync(
        string worker, int limit, bool recoverForeign, DateTimeOffset now, DateTimeOffset until, OwnerSlots owners) =>
        Enqueue(sql => sql.Claim(worker, limit, recoverForeign, now, until, owners));

    /// <summary>Not awaited by the executor: ordered before the step's finish, which is awaited.</summary>
    internal void StepStarted(string runId, int index, string stepId, int attempt, DateTimeOffset startedAt, long eventId) =>
        _ = Enqueue(sql => { sql.StepStarted(runId, index, stepId, attempt, startedAt, eventId); return true; }, new StepKey(runId, index, Finished: false));

    /// <summary>Records a finished step; <paramref name="output"/> is its output as JSON text (the caller has it already), capped for storage.</summary>
    /// <remarks>
    /// <paramref name="startedEvent"/> is the id its start was sent with (stored here too when the start is folded into
    /// the finish). <paramref name="ledger"/> is the step's priced ledger as JSON text (null for steps that neither
    /// rendered a prompt nor called a model); <paramref name="totals"/>, when given, are added to the workflow's day on Home.
    /// </remarks>
    internal Task StepFinishedAsync(
        string runId, StepRecord step, string? output, long? startedEvent, long finishedEvent, string? ledger = null, Ledger.LedgerTotals? totals = null)
    {
        var (stored, fullBytes) = History.StoredOutput.Cap(output, _maxOutputBytes);
        return Enqueue(sql => { sql.StepFinished(runId, step, stored, fullBytes, startedEvent, finishedEvent, ledger, totals); return true; },
            new StepKey(runId, step.Index, Finished: true));
    }

    internal Task ItemFinishedAsync(string runId, ItemRecord item, string? output)
    {
        var (stored, _) = History.StoredOutput.Cap(output, _maxOutputBytes);
        return Enqueue(sql => { sql.ItemFinished(runId, item, stored); return true; });
    }

    /// <summary>Records a step's note; <paramref name="json"/> is the note as JSON text (the caller redacted it).</summary>
    internal Task EntryRecordedAsync(string runId, JournalEntry entry, string json, long eventId) =>
        Enqueue(sql => { sql.EntryRecorded(runId, entry, json, eventId); return true; });

    /// <summary>
    /// Records the run's end, and in the same transaction queues its failure handler's run when it has one: the
    /// handler starts exactly when the end is recorded (not at all when the run was taken over meanwhile).
    /// <paramref name="failedStep"/> is a step recorded failed with it, without output: the one whose result the full
    /// disk refused (<paramref name="failedStepEvent"/> its step-finished event's id).
    /// </summary>
    internal Task<bool> FinishRunAsync(
        string runId, string worker, RunStatus status, string? error, DateTimeOffset finishedAt, Run? handlerRun = null,
        UnstoredStep? failedStep = null, long? failedStepEvent = null) =>
        Enqueue(sql =>
        {
            if (!sql.FinishRun(runId, worker, status, error, finishedAt))
            {
                return false;
            }
            if (failedStep?.Finished is { } step)
            {
                sql.StepFinished(runId, step, output: null, fullBytes: null, failedStep.StartedEvent, failedStepEvent, ledger: null, totals: null);
            }
            if (handlerRun is not null)
            {
                sql.InsertRun(handlerRun);
            }
            return true;
        });

    internal Task ReleaseLeaseAsync(string runId, string worker, DateTimeOffset until) =>
        Enqueue(sql => { sql.ReleaseLease(runId, worker, until); return true; });

    internal Task ReleaseAllAsync(string worker, DateTimeOffset now) =>
        Enqueue(sql => { sql.ReleaseAll(worker, now); return true; });

    internal void RenewLeases(string worker, DateTimeOffset until) =>
        _ = Enqueue(sql => { sql.RenewLeases(worker, until); return true; });

    internal Task<CancelResult> CancelAsync(string ownerId, string runId, DateTimeOffset now) =>
        Enqueue(sql => sql.Waits.Cancel(ownerId, runId, now) ? CancelResult.Cancelled : sql.Cancel(ownerId, runId, now));

    /// <summary>The run leaves the worker as waiting, its waits kept; false when a cancel came first or the run was taken over.</summary>
    internal Task<bool> PauseRunAsync(string runId, string worker, IReadOnlyList<StepRecord> waiting, DateTimeOffset now) =>
        Enqueue(sql => sql.Waits.Pause(runId, worker, waiting, now));

    internal Task<AnswerResult> AnswerAsync(string ownerId, string runId, string? stepId, bool approved, string by, string? comment, DateTimeOffset now) =>
        Enqueue(sql => sql.Waits.Answer(ownerId, runId, stepId, approved, by, comment, now));

    internal Task<(int Woken, DateTimeOffset? NextDue)> WakeDueWaitsAsync(DateTimeOffset now, int limit) =>
        Enqueue(sql => sql.Waits.WakeDue(now, limit));

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        // the worker has stopped before us (hosted services stop in reverse order): write what is left, then end
        _writes.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    /// <summary>
    /// The loop has a thread of its own: every run waits on it, so it must not wait for a pool thread when the pool
    /// is busy, and its SQLite calls (synchronous underneath) block nobody else.
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void WriteLoop()
    {
        using var db = dbs.CreateDbContext();
        db.Database.OpenConnection();
        var connection = db.Database.GetDbConnection();
        using var sql = new RunSql(connection, provider);
        using var checkpoints = connection is Microsoft.Data.Sqlite.SqliteConnection sqlite ? Data.Sqlite.WalCheckpoints.Start(sqlite, log) : null;
        Checkpoints = checkpoints;
        var batch = new List<Write>(MaxBatch);
        var finishedLater = new HashSet<(string RunId, int Index)>();

        // runs until the channel is completed and drained, not until the token: pending writes are never dropped
        while (WaitForWrites())
        {
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }
            SkipOverwrittenStarts(batch, finishedLater);
            Apply(connection, sql, batch);
            batch.Clear();
            // after the batch's callers are answered, not inside their commit
            checkpoints?.CatchUp();
        }
    }

    /// <summary>
    /// A step that started and finished within one batch (a fast step) is written once: its finish is an upsert of the
    /// whole row, so the start's row would be overwritten in the same transaction and nobody could ever read it. Only a
    /// start followed by its finish is skipped (read backwards), never a start that comes after a finish.
    /// </summary>
    private static void SkipOverwrittenStarts(List<Write> batch, HashSet<(string RunId, int Index)> finishedLater)
    {
        finishedLater.Clear();
        for (var i = batch.Count - 1; i >= 0; i--)
        {
            switch (batch[i].Step)
            {
                case { Finished: true } finish:
                    finishedLater.Add((finish.RunId, finish.Index));
                    break;
                case { Finished: false } start when finishedLater.Contains((start.RunId, start.Index)):
                    batch[i].Skip = true;
                    break;
            }
        }
    }

    private bool WaitForWrites()
    {
        var waiting = _writes.Reader.WaitToReadAsync(CancellationToken.None);
        if (waiting.IsCompletedSuccessfully)
        {
            return waiting.Result;
        }
        _ready.Reset();
        var awaiter = waiting.ConfigureAwait(false).GetAwaiter();
        awaiter.UnsafeOnCompleted(_setReady ??= _ready.Set);
        _ready.Wait();
        return awaiter.GetResult();
    }

    private void Apply(System.Data.Common.DbConnection connection, RunSql sql, List<Write> batch, bool mayRetry = true)
    {
        var committing = false;
        try
        {
            Reconnect(connection);
            using var transaction = connection.BeginTransaction();
            sql.Use(transaction);
            foreach (var write in batch)
            {
                if (!write.Skip)
                {
                    write.Apply(sql);
                }
            }
            committing = true;
            transaction.Commit();
            failures.Succeeded();
        }
        catch (Exception e) when (mayRetry && !committing && StoreFailures.IsStorageFailure(e) && connection.State != System.Data.ConnectionState.Open)
        {
            // the server closed the connection while it sat idle (a restart): nothing of the batch was committed, so it
            // goes again once on a new connection rather than handing its runs back
            log.LogWarning("The run writer's connection was closed by the server ({Reason}); writing the batch again on a new one", e.Message);
            Apply(connection, sql, batch, mayRetry: false);
            return;
        }
        catch (Exception e) when (batch.Count > 1 && !StoreFailures.IsStorageFailure(e))
        {
            // one bad write must not fail the others: apply them one by one to find it
            log.LogWarning(e, "A batch of {Count} run writes failed; writing them one by one", batch.Count);
            foreach (var write in batch)
            {
                ApplyOne(connection, sql, write);
            }
            return;
        }
        catch (Exception e) when (StoreFailures.IsStorageFailure(e))
        {
            // the disk is full or the database locked: every write of the batch fails alike, with the same error
            failures.Failed();
            log.LogError("{Count} run writes failed: {Reason}", batch.Count, e.Message);
            foreach (var write in batch)
            {
                write.Fail(e);
            }
            return;
        }
        catch (Exception e)
        {
            log.LogError(e, "A run write failed");
            batch[0].Fail(e);
            return;
        }
        finally
        {
            sql.Use(null);
        }
        foreach (var write in batch)
        {
            write.Complete();
        }
    }

    /// <summary>
    /// A PostgreSQL server that restarted (or a dropped connection) leaves the writer's connection closed: it is opened
    /// again for the next batch, and the statements go on with it. A batch that fails meanwhile fails as a storage
    /// failure, so its runs are handed back and resumed.
    /// </summary>
    private static void Reconnect(System.Data.Common.DbConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            connection.Close();
            connection.Open();
        }
    }

    private void ApplyOne(System.Data.Common.DbConnection connection, RunSql sql, Write write)
    {
        try
        {
            Reconnect(connection);
            using var transaction = connection.BeginTransaction();
            sql.Use(transaction);
            write.Apply(sql);
            transaction.Commit();
            failures.Succeeded();
            write.Complete();
        }
        catch (Exception e)
        {
            if (StoreFailures.IsStorageFailure(e))
            {
                failures.Failed();
            }
            log.LogError(e, "A run write failed");
            write.Fail(e);
        }
        finally
        {
            sql.Use(null);
        }
    }

    private Task<T> Enqueue<T>(Func<RunSql, T> apply, StepKey? step = null)
    {
        var write = new Write<T>(apply) { Step = step };
        if (!_writes.Writer.TryWrite(write))
        {
            return Task.FromException<T>(new InvalidOperationException("The run store is shutting down; try again after the restart."));
        }
        return write.Task;
    }

    /// <summary>Which step's row a step write is, and whether it records the finish.</summary>
    private sealed record StepKey(string RunId, int Index, bool Finished);

    private abstract class Write
    {
        public StepKey? Step { get; init; }

        /// <summary>Set when a later write of the same batch overwrites this one's row.</summary>
        public bool Skip { get; set; }

        public abstract void Apply(RunSql sql);
        public abstract void Complete();
        public abstract void Fail(Exception error);
    }

    private sealed class Write<T>(Func<RunSql, T> apply) : Write
    {
        // continuations run on the pool, never inline on the writer's loop
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _done.Task;

        public override void Apply(RunSql sql) => _result = apply(sql);

        public override void Complete() => _done.TrySetResult(_result);

        public override void Fail(Exception error) => _done.TrySetException(error);
    }
}
