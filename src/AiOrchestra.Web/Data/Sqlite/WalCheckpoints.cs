using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Web.Data.Sqlite;

/// <summary>
/// Checkpoints of the write-ahead log written by the run writer's connection. SQLite's own checkpoint runs inside the
/// commit that takes the log past 1,000 pages, on the writer's thread: it copies the pages into the file and syncs
/// both, while every run waiting on the writer waits too (the tail at 10 clients; RESULTS.md, lat18). Here that commit
/// only notes the log's size; a thread of its own, on a connection of its own, copies the log into the file (PASSIVE:
/// the writer goes on meanwhile), then the writer copies the few pages it committed since and its next transaction
/// starts the log over from its beginning, so the log stays as bounded as with SQLite's own checkpoints.
/// </summary>
internal sealed class WalCheckpoints : IDisposable
{
    /// <summary>The log's size, in pages, that starts a checkpoint: SQLite's own default.</summary>
    internal const int CheckpointPages = 1000;

    private const int Idle = 0, Copying = 1, CatchUpDue = 2;

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
    private int _state = Idle;
    private volatile bool _stopping;
    private int _copied;

    /// <summary>Installs the commit hook on <paramref name="writer"/> (open) and starts the checkpoint thread.</summary>
    public WalCheckpoints(SqliteConnection writer, ILogger log)
    {
        _writer = writer;
        _log = log;
        Instances[_id] = this;
        // a commit hook replaces SQLite's automatic checkpoints on this connection
        sqlite3_wal_hook(writer.Handle!.DangerousGetHandle(), Hook, _id);
        _thread = new Thread(CheckpointLoop) { IsBackground = true, Name = "WAL checkpoints" };
        _thread.Start();
    }

    /// <summary>Checkpoints the checkpoint thread has completed (for tests).</summary>
    internal int Copied => Volatile.Read(ref _copied);

    /// <summary>
    /// On the writer's thread, between its transactions: once the checkpoint thread has copied the log, copies what
    /// was committed since, so the next transaction starts the log over.
    /// </summary>
    public void CatchUp()
    {
        if (Volatile.Read(ref _state) != CatchUpDue)
        {
            return;
        }
        try
        {
            Checkpoint(_writer);
        }
        catch (SqliteException e)
        {
            _log.LogWarning("Checkpointing the write-ahead log failed ({Reason}); trying again after the next 1,000 pages", e.Message);
        }
        Volatile.Write(ref _state, Idle);
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
        if (pages >= CheckpointPages && Instances.TryGetValue(id, out var self)
            && Interlocked.CompareExchange(ref self._state, Copying, Idle) == Idle)
        {
            self._due.Set();
        }
        return 0; // SQLITE_OK
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
                Checkpoint(own);
                Interlocked.Increment(ref _copied);
                Volatile.Write(ref _state, CatchUpDue);
            }
            catch (SqliteException e)
            {
                _log.LogWarning("Checkpointing the write-ahead log failed ({Reason}); trying again after the next commit", e.Message);
                Volatile.Write(ref _state, Idle);
            }
        }
    }

    private static void Checkpoint(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        // the pragma answers with a row; reading it runs the checkpoint to its end
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
        }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int WalHook(nint id, nint db, nint name, int pages);

    [DllImport("e_sqlite3", CallingConvention = CallingConvention.Cdecl)]
    private static extern nint sqlite3_wal_hook(nint db, WalHook hook, nint id);
}
