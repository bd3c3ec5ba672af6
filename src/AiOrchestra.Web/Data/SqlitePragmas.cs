using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AiOrchestra.Web.Data;

/// <summary>
/// The SQLite-specific settings. The database file uses the write-ahead log (readers never block the writer); it
/// is a property of the file, set once at start-up. Every connection fsyncs only at checkpoints (a killed process
/// loses nothing committed), waits on a busy lock instead of failing, and enforces foreign keys.
/// </summary>
/// <remarks>
/// <c>Database:MaxSizeMegabytes</c>, when set, caps the file's size: past it writes fail as on a full disk.
/// </remarks>
internal sealed class SqlitePragmas(int maxSizeMegabytes = 0) : DbConnectionInterceptor
{
    internal const string DatabaseSql = Sqlite.SqliteSql.DatabasePragmas;
    internal const string Sql = Sqlite.SqliteSql.ConnectionPragmas;

    // pages of the default 4 KiB; the cap is per connection, so every connection sets it
    private readonly string _sql = maxSizeMegabytes > 0 ? $"{Sql} PRAGMA max_page_count={maxSizeMegabytes * 256};" : Sql;

    // The settings belong to the native connection, which the SQLite pool keeps open across opens: set them once per
    // native connection, not on every open (that was a three-statement command before every API request's query).
    private readonly ConditionalWeakTable<object, object> _configured = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (IsNew(connection, out var handle))
        {
            using var command = connection.CreateCommand();
            command.CommandText = _sql;
            command.ExecuteNonQuery();
            _configured.TryAdd(handle, handle);
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (IsNew(connection, out var handle))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = _sql;
            await command.ExecuteNonQueryAsync(cancellationToken);
            _configured.TryAdd(handle, handle);
        }
    }

    private bool IsNew(DbConnection connection, out object handle)
    {
        handle = (object?)(connection as SqliteConnection)?.Handle ?? connection;
        return !_configured.TryGetValue(handle, out _);
    }
}
