using Npgsql;

namespace AiOrchestra.Web.Data.Postgres;

/// <summary>The pg_dump and pg_restore commands for the configured database, password left out.</summary>
public sealed record PostgresBackupCommands(string Dump, string Restore);

/// <summary>
/// Backups on PostgreSQL: the app does not copy a server's database, PostgreSQL's own pg_dump does (a consistent
/// snapshot while every process keeps running). What the app gives is the exact commands for the configured database.
/// </summary>
public static class PostgresBackup
{
    public static PostgresBackupCommands Commands(string connectionString, string file)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        var server = string.Join(" ", new[]
        {
            settings.Host is { Length: > 0 } host ? $"--host={Quote(host)}" : null,
            $"--port={settings.Port}",
            settings.Username is { Length: > 0 } user ? $"--username={Quote(user)}" : null,
        }.Where(a => a is not null));
        var database = Quote(settings.Database is { Length: > 0 } name ? name : settings.Username ?? "postgres");
        return new PostgresBackupCommands(
            $"pg_dump --format=custom {server} --file={Quote(file)} {database}",
            // into the same (emptied) database, the app's processes stopped; --no-owner keeps the restoring user's ownership
            $"pg_restore --clean --if-exists --no-owner {server} --dbname={database} {Quote(file)}");
    }

    /// <summary>What <c>backup FILE</c> and the Settings download answer on PostgreSQL.</summary>
    public static string Guidance(string connectionString, string file)
    {
        var commands = Commands(connectionString, file);
        return "The database is PostgreSQL (Database__Provider=postgres): the app does not copy it, PostgreSQL's pg_dump does, "
            + "consistently while the app runs. Back it up with:\n"
            + $"  {commands.Dump}\n"
            + "and restore it (every app process stopped) with:\n"
            + $"  {commands.Restore}\n"
            + "Both read the password from PGPASSWORD or ~/.pgpass; see the README (Backup and restore).";
    }

    // one shell word: as it is when it has nothing a shell reads, else in single quotes
    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '@' or '=' or ',')
            ? value
            : "'" + value.Replace("'", "'\\''") + "'";
}
