using Microsoft.Data.Sqlite;

namespace AiOrchestra.Web.History;

/// <summary>
/// A consistent copy of the database while the app runs: SQLite's <c>VACUUM INTO</c> reads one snapshot (runs keep
/// being written meanwhile) and writes a compact, self-contained file with no write-ahead log beside it.
/// </summary>
internal static class DatabaseBackup
{
    /// <summary>Writes the copy to <paramref name="file"/>; returns what went wrong, or null.</summary>
    public static async Task<string?> WriteAsync(string? connectionString, string file, CancellationToken cancellationToken)
    {
        // PostgreSQL's copy is pg_dump's (Data/Postgres/PostgresBackup): the callers answer with its commands
        var source = new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly };
        if (!File.Exists(source.DataSource))
        {
            return $"There is no database at {source.DataSource}: check ConnectionStrings__Default (and start the app once to create it).";
        }
        var target = Path.GetFullPath(file);
        if (File.Exists(target))
        {
            return $"{target} exists already: give the name of a new file (a backup never overwrites one).";
        }
        var folder = Path.GetDirectoryName(target);
        if (folder is not null && !Directory.Exists(folder))
        {
            return $"The folder {folder} does not exist: create it first or choose another path.";
        }

        await using var connection = new SqliteConnection(source.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "VACUUM INTO @file";
        command.Parameters.AddWithValue("@file", target);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e)
        {
            return $"The backup to {target} failed: {e.Message}";
        }
        return null;
    }
}
