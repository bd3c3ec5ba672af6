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
public sealed class RunWriter(IDbContextFactory<AppDbContext> dbs, StoreSql provider, StoreFailures failures, ILogger<RunWriter> log) : BackgroundService
{
    private const int MaxBatch = 1024;

    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });

    internal Task InsertRunAsync(Run run) => Enqueue(sql => { sql.InsertRun(run); return true; });

    internal Task<List<ClaimedRun>> ClaimAsync(
        string worker, int limit, bool recoverForeign, DateTimeOffset now, DateTimeOffset until, OwnerSlots owners) =>
        Enqueue(sql => sql.Claim(worker, limit, recoverForeign, now, until, owners));

    /// <summary>Not awaited by the executor: ordered before the step's finish, which is awaited.</summary>
    internal void StepStarted(string runId, int index, string stepId, int attempt, DateTimeOffset startedAt) =>
        _ = Enqueue(sql => { sql.StepStarted(runId, index, stepId, attempt, startedAt); return true; });

    internal Task StepFinishedAsync(string runId, StepRecord step)
    {
        var output = step.Output?.ToJsonString();
        return Enqueue(sql => { sql.StepFinished(runId, step, output); return true; });
    }

    internal Task ItemFinishedAsync(string runId, ItemRecord item)
    {
        var output = item.Output?.ToJsonString();
        return Enqueue(sql => { sql.ItemFinished(runId, item, output); return true; });
    }

    internal Task<bool> FinishRunAsync(string runId, string worker, RunStatus status, string? error, DateTimeOffset finishedAt) =>
        Enqueue(sql => sql.FinishRun(runId, worker, status, error, finishedAt));

    internal Task ReleaseLeaseAsync(string runId, string worker, DateTimeOffset until) =>
        Enqueue(sql => { sql.ReleaseLease(runId, worker, until); return true; });

    internal Task ReleaseAllAsync(string worker, DateTimeOffset now) =>
        Enqueue(sql => { sql.ReleaseAll(worker, now); return true; });

    internal void RenewLeases(string worker, DateTimeOffset until) =>
        _ = Enqueue(sql => { sql.RenewLeases(worker, until); return true; });

    internal Task<CancelResult> CancelAsync(string ownerId, string runId, DateTimeOffset now) =>
        Enqueue(sql => sql.Cancel(ownerId, runId, now));

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
        var batch = new List<Write>(MaxBatch);

        // runs until the channel is completed and drained, not until the token: pending writes are never dropped
        while (WaitForWrites())
        {
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }
            Apply(connection, sql, batch);
            batch.Clear();
        }
    }

    private bool WaitForWrites()
    {
        var waiting = _writes.Reader.WaitToReadAsync(CancellationToken.None);
        return waiting.IsCompletedSuccessfully ? waiting.Result : waiting.AsTask().GetAwaiter().GetResult();
    }

    private void Apply(System.Data.Common.DbConnection connection, RunSql sql, List<Write> batch)
    {
        try
        {
            Reconnect(connection);
            using var transaction = connection.BeginTransaction();
            sql.Use(transaction);
            foreach (var write in batch)
            {
                write.Apply(sql);
            }
            transaction.Commit();
            failures.Succeeded();
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

    private Task<T> Enqueue<T>(Func<RunSql, T> apply)
    {
        var write = new Write<T>(apply);
        if (!_writes.Writer.TryWrite(write))
        {
            return Task.FromException<T>(new InvalidOperationException("The run store is shutting down; try again after the restart."));
        }
        return write.Task;
    }

    private abstract class Write
    {
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
