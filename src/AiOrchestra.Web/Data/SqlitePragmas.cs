using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AiOrchestra.Web.Data;

/// <summary>
/// The SQLite-specific settings. The database file uses the write-ahead log (readers never block the writer); it
/// is a property of the file, set once at start-up. Every connection, as it opens, fsyncs only at checkpoints (a
/// killed process loses nothing committed), waits on a busy lock instead of failing, and enforces foreign keys.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    internal const string DatabaseSql = "PRAGMA journal_mode=WAL;";
    internal const string Sql = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
