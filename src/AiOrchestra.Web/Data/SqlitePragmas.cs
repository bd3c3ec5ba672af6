using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AiOrchestra.Web.Data;

/// <summary>
/// The SQLite-specific settings, applied to every connection as it opens: write-ahead log (readers never block
/// the writer), fsync only at checkpoints (a killed process loses nothing committed), and waiting on a busy lock.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    internal const string Sql = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;";

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
