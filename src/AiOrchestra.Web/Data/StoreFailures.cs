using Microsoft.Data.Sqlite;
using Npgsql;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiOrchestra.Web.Data;

/// <summary>
/// Writes the database cannot take right now: the disk (or <c>Database:MaxSizeMegabytes</c>) is full, the disk
/// fails, or another connection held the lock longer than the busy timeout; on PostgreSQL also the server restarting
/// or the connection dropping. Such a failure is nobody's mistake: requests get 503 with <c>Retry-After</c>, and
/// <c>/health</c> reports the failing writes until one succeeds again (or a minute passes without another failure).
/// A run whose progress cannot be stored is handed back for recovery when the failure passes by itself (a lock, a
/// restart), and failed with what to do when the disk is full (<see cref="IsDiskFull"/>), which needs a person.
/// </summary>
public sealed class StoreFailures(TimeProvider time) : IHealthCheck
{
    public const string HealthCheckName = "store-writes";

    /// <summary>What a client is told to wait before trying again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(1);

    /// <summary>The sentence a person reads in a 503.</summary>
    public static string Message(Exception exception) =>
        Code(exception) is Unreachable
            ? "The database cannot be reached right now (it is restarting, or the connection dropped). Nothing was saved; try again shortly."
            : Code(exception) is SqliteFull
            ? "The database cannot store anything right now: the disk is full. Nothing was saved; free some space, then try again."
            : Code(exception) is SqliteBusy or SqliteLocked
                ? "The database is busy: another process has held it locked for too long. Nothing was saved; try again shortly."
                : "The database cannot write to the disk right now. Nothing was saved; try again shortly.";

    /// <summary>True when <paramref name="exception"/>, or one it wraps, is such a passing storage failure.</summary>
    public static bool IsStorageFailure(Exception exception) => Code(exception) is not null;

    /// <summary>
    /// True when the storage failure is a full disk: SQLite's SQLITE_FULL (the disk, or <c>Database:MaxSizeMegabytes</c>
    /// reached) or PostgreSQL's disk_full (53100). Told by the error code, never by the message.
    /// </summary>
    public static bool IsDiskFull(Exception exception) => Code(exception) is SqliteFull;

    // which came last is told by a sequence, not by the clock: both can happen within the same millisecond
    private long _sequence;
    private long _lastFailure;
    private long _lastSuccess;
    private long _lastFailureAt;

    public void Failed()
    {
        Volatile.Write(ref _lastFailureAt, time.GetUtcNow().ToUnixTimeMilliseconds());
        Volatile.Write(ref _lastFailure, Interlocked.Increment(ref _sequence));
    }

    public void Succeeded() => Volatile.Write(ref _lastSuccess, Interlocked.Increment(ref _sequence));

    /// <summary>True while the last write failed, for a minute after that failure.</summary>
    public bool Failing =>
        Volatile.Read(ref _lastFailure) > Volatile.Read(ref _lastSuccess)
        && time.GetUtcNow().ToUnixTimeMilliseconds() - Volatile.Read(ref _lastFailureAt) < Remembered.TotalMilliseconds;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Failing
            ? HealthCheckResult.Unhealthy("Writes to the database are failing (disk full, disk error or a lock held too long).")
            : HealthCheckResult.Healthy());

    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;
    private const int Unreachable = -1;

    /// <summary>True when a unique index refused the write: another writer stored the same key first.</summary>
    public static bool IsUniqueViolation(Exception exception) => exception.InnerException switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    private static int? Code(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked or SqliteIoError or SqliteFull } sqlite)
            {
                return sqlite.SqliteErrorCode;
            }
            if (exception is PostgresException postgres)
            {
                // class 53: insufficient resources (53100 disk full); 57P0x: the server shutting down or starting;
                // 40001/40P01: a serialization failure or deadlock, which passes when tried again
                return postgres.SqlState switch
                {
                    PostgresErrorCodes.DiskFull => SqliteFull,
                    var state when state.StartsWith("53", StringComparison.Ordinal) => SqliteIoError,
                    var state when state.StartsWith("57P", StringComparison.Ordinal) || state.StartsWith("08", StringComparison.Ordinal) => Unreachable,
                    PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected => SqliteBusy,
                    _ => null,
                };
            }
            if (exception is NpgsqlException { IsTransient: true })
            {
                return Unreachable;
            }
        }
        return null;
    }
}
