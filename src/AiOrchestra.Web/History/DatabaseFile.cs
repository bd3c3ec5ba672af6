using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.History;

/// <summary>
/// Housekeeping of the SQLite file itself: incremental auto-vacuum, so pages freed by deleted runs can be handed back
/// to the file system, and shrinking the file after a clean-up.
/// </summary>
internal static class DatabaseFile
{
    private const int Incremental = 2;

    // pages handed back per statement: each is a short write transaction, so the run writer gets the lock in between
    private const int PagesPerStep = 2000;

    /// <summary>
    /// Turns on <c>auto_vacuum = INCREMENTAL</c>. A file created without it needs one full VACUUM (a rewrite of the
    /// file, once, at start-up before anything else uses it); a new empty file takes it at once.
    /// </summary>
    public static async Task UseIncrementalVacuumAsync(DbContext db, ILogger log, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            if (await ScalarAsync(connection, "PRAGMA auto_vacuum", cancellationToken) == Incremental)
            {
                return;
            }
            var hasTables = await ScalarAsync(connection, "SELECT count(*) FROM sqlite_schema", cancellationToken) > 0;
            if (hasTables)
            {
                log.LogInformation("Rewriting the database file once to turn on incremental vacuum (auto_vacuum = INCREMENTAL)");
            }
            await ExecuteAsync(connection, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM;", cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Hands the free pages back to the file system in steps, then checkpoints the write-ahead log so the file shrinks.</summary>
    public static async Task ShrinkAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var free = await ScalarAsync(connection, "PRAGMA freelist_count", cancellationToken);
        // bounded by the count read once: on a file without incremental vacuum the pragma frees nothing
        for (var step = 0L; step * PagesPerStep < free; step++)
        {
            await ExecuteAsync(connection, $"PRAGMA incremental_vacuum({PagesPerStep})", cancellationToken);
            await Task.Yield();
        }
        // TRUNCATE also empties the log, but waits for readers: wait only briefly, then it does what a passive one does
        await ExecuteAsync(connection, "PRAGMA busy_timeout = 100", cancellationToken);
        try
        {
            await ExecuteAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken);
        }
        finally
        {
            await ExecuteAsync(connection, Data.SqlitePragmas.Sql, cancellationToken);
        }
    }

    /// <summary>Bytes on disk: the database file and its write-ahead log.</summary>
    public static long SizeOnDisk(string? connectionString)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return Length(file) + Length(file + "-wal");
    }

    private static long Length(string file) => File.Exists(file) ? new FileInfo(file).Length : 0;

    internal static async Task<long> ScalarAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken));
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        // a pragma that answers with rows runs to its end only when every row is read
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
            }
        }
        while (await reader.NextResultAsync(cancellationToken));
    }
}
