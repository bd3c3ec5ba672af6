using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Web.Data.Sqlite;

/// <summary>
/// Checkpoints of the write-ahead log written by the run writer's connection. SQLite's own checkpoint runs inside the
/// commit that takes the log past 1,000 pages, on the writer's thread: it copies the pages into the file and syncs
/// both (two fsyncs, a few milliseconds each), while every run waiting on the writer waits too (the tail at 10
/// clients; RESULTS.md, lat18). Here a commit only notes the log's size: every 1,000 pages a thread of its own, on a
/// connection of its own, copies the log into the file (PASSIVE: the writer goes on meanwhile). The log starts over at
/// the writer's next transaction once a copy found nothing newer (the writer paused); when it never pauses, the writer
/// itself copies the last few pages once the log reaches <see cref="WriterCheckpointPages"/>, after answering its
/// callers, which bounds the log as SQLite's own checkpoints did, at a tenth of their stalls.
/// </summary>
internal sealed class WalCheckpoints : IDisposable
{
    /// <summary>New pages in the log that start a copy on the checkpoint thread: SQLite's own default.</summary>
    internal const int CheckpointPages = 1000;

    /// <summary>The log's size, in pages, at which the writer copies the rest itself so the log starts over.</summary>
    internal const int WriterCheckpointPages = 10 * CheckpointPages;

    // The commit hook finds its instance by number: a native connection that outlives this object (the pool keeps it)
    // must never call into a freed one.
    private static readonly ConcurrentDictionary<nint, WalCheckpoints> Instances = new();
    private static long _lastId;
    private static readonly WalHook Hook = OnCommit; // kept alive for as long as the native side may call it

    private readonly nint _id = (nint)Interlocked.Increment(ref _lastId);
    private readonly SqliteConnection _writer;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _due = new(false, spinCount: 0);
    private volatile bool _stopping;
    private int _copying;
    private int _copied;

    // the writer's thread only
    private int _lastPages;
    private bool _writerCopyDue;

    // the log's size at which the next copy starts: set by the checkpoint thread, read by the writer's
    private int _copyAt = CheckpointPages;

    private WalCheckpoints(SqliteConnection writer, ILogger log)
    {
        _writer = writer;
        _log = log;
        _thread = new Thread(CheckpointLoop) { IsBackground = true, Name = "WAL checkpoints" };
    }

    /// <summary>
    /// Installs the commit hook on <paramref name="writer"/> (open) and starts the checkpoint thread; null, with SQLite's
    /// own checkpoints left in place, when the SQLite library is not the bundled one that has the hook.
    /// </summary>
    public static WalCheckpoints? Start(SqliteConnection writer, ILogger log)
    {
        var checkpoints = new WalCheckpoints(writer, log);
        Instances[checkpoints._id] = checkpoints;
        try
        {
            // a commit hook replaces SQLite's automatic checkpoints on this connection
            sqlite3_wal_hook(writer.Handle!.DangerousGetHandle(), Hook, checkpoints._id);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Instances.TryRemove(checkpoints._id, out _);
            log.LogWarning("The write-ahead log is checkpointed inside the run writer's commits ({Reason})", e.Message);
            return null;
        }
        checkpoints._thread.Start();
        return checkpoints;
    }

    /// <summary>Copies the checkpoint thread has completed (for tests).</summary>
    internal int Copied => Volatile.Read(ref _copied);

    /// <summary>Copies the writer has made itself (for tests).</summary>
    internal int WriterCopies { get; private set; }

    /// <summary>On the writer's thread, between its transactions: copies the rest of a log that reached <see cref="WriterCheckpointPages"/>.</summary>
    public void CatchUp()
    {
        if (!_writerCopyDue)
        {
            return;
        }
        _writerCopyDue = false;
        try
        {
            Checkpoint(_writer);
            WriterCopies++;
        }
        catch (SqliteException e)
        {
            _log.LogWarning("Checkpointing the write-ahead log failed ({Reason}); trying again after the next commit", e.Message);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _due.Set();
        _thread.Join();
        if (_writer.State == System.Data.ConnectionState.Open)
        {
            // the pooled native connection goes back to SQLite's own checkpoints
            using var command = _writer.CreateCommand();
            command.CommandText = $"PRAGMA wal_autocheckpoint={CheckpointPages}";
            command.ExecuteNonQuery();
        }
        Instances.TryRemove(_id, out _);
        _due.Dispose();
    }

    private static int OnCommit(nint id, nint db, nint name, int pages)
    {
        if (Instances.TryGetValue(id, out var self))
        {
            self.Committed(pages);
        }
        return 0; // SQLITE_OK
    }

    private void Committed(int pages)
    {
        if (pages < _lastPages)
        {
            // the log started over
            Volatile.Write(ref _copyAt, CheckpointPages);
        }
        _lastPages = pages;
        _writerCopyDue = pages >= WriterCheckpointPages;
        if (pages >= Volatile.Read(ref _copyAt) && Interlocked.CompareExchange(ref _copying, 1, 0) == 0)
        {
            _due.Set();
        }
    }

    private void CheckpointLoop()
    {
        using var own = new SqliteConnection(_writer.ConnectionString);
        while (true)
        {
            _due.Wait();
            _due.Reset();
            if (_stopping)
            {
                return;
            }
            try
            {
                if (own.State != System.Data.ConnectionState.Open)
                {
                    own.Open();
                    using var pragmas = own.CreateCommand();
                    pragmas.CommandText = SqliteSql.ConnectionPragmas;
                    pragmas.ExecuteNonQuery();
                }
                var logPages = Checkpoint(own);
                Volatile.Write(ref _copyAt, logPages + CheckpointPages);
                Interlocked.Increment(ref _copied);
            }
            catch (SqliteException e)
            {
                _log.LogWarning("Checkpointing the write-ahead log failed ({Reason}); trying again after the next 1,000 pages", e.Message);
            }
            Volatile.Write(ref _copying, 0);
        }
    }

    /// <summary>Copies what the log holds into the file without waiting for anyone; returns the log's size in pages.</summary>
    private static int Checkpoint(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        // one row: busy, the log's pages, the pages copied
        using var reader = command.ExecuteReader();
        return reader.Read() ? reader.GetInt32(1) : 0;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int WalHook(nint id, nint db, nint name, int pages);

    [DllImport("e_sqlite3", CallingConvention = CallingConvention.Cdecl)]
    private static extern nint sqlite3_wal_hook(nint db, WalHook hook, nint id);
}
