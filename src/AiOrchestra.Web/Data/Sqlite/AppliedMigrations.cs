using System.Data.Common;

namespace AiOrchestra.Web.Data.Sqlite;

/// <summary>
/// Whether an SQLite database already has every migration this build knows, read from EF's history table.
/// EF's own answer (<c>MigrateAsync</c> with nothing pending) scans every type of the app for migrations, takes its
/// migration lock and compiles its history query: about 0.3 s of a restart's CPU (tests/AiOrchestra.Bench/RESULTS.md, start18).
/// </summary>
internal static class AppliedMigrations
{
    /// <summary>
    /// SQLite's newest migration and how many there are. AppliedMigrationsTests fails when a migration is added without
    /// updating both; a stale pair would skip the new migration at start.
    /// </summary>
    public const string Newest = "20261130221841_RunKeys";
    public const int Count = 29;

    /// <summary>True when the history has as many migrations as this build knows and its newest is <see cref="Newest"/>.</summary>
    public static async Task<bool> AreCurrentAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (!await HasHistoryAsync(connection, cancellationToken))
        {
            return false;
        }
        await using var command = connection.CreateCommand();
        command.CommandText = """SELECT count(*), max("MigrationId") FROM "__EFMigrationsHistory" """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        // the count as well: a database migrated by a build with a later migration but without an earlier one has the newest
        return await reader.ReadAsync(cancellationToken)
            && reader.GetInt64(0) == Count
            && !reader.IsDBNull(1) && reader.GetString(1) == Newest;
    }

    private static async Task<bool> HasHistoryAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '__EFMigrationsHistory'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken)) > 0;
    }
}
