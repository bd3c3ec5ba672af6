using AiOrchestra.Web.Hosting;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AiOrchestra.Web.Data.Postgres;

/// <summary>
/// Start-up on PostgreSQL: waits for the server (it may start after the app), then, holding an advisory lock so that
/// processes starting together take turns, applies PostgreSQL's migrations and runs first-run setup. The first process
/// migrates; the others wait, then find nothing left to do (and the administrator already there).
/// </summary>
internal static class PostgresStartup
{
    /// <summary>How long start-up keeps trying to reach the server before it gives up with exit code 1 (<c>Database:ConnectSeconds</c>).</summary>
    internal const string ConnectSecondsKey = "Database:ConnectSeconds";

    internal const int DefaultConnectSeconds = 30;

    public static async Task MigrateAsync(
        string connectionString, TimeSpan connectFor, ILogger log, Func<Task> firstRunSetup, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(connectionString, connectFor, log, cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            command.Parameters.AddWithValue("key", PostgresSql.StartupLock);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        // the lock is the session's: closing the connection (or the process dying) releases it
        await using (var db = new PostgresDbContext(PostgresDbContext.Options(connectionString)))
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        await firstRunSetup();
    }

    /// <summary>
    /// A transaction holding the start-up lock until it ends: the setup page's check that nobody exists and its creation
    /// of the administrator happen in it, so two processes (or a process starting) never create two.
    /// </summary>
    public static async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> LockFirstRunAsync(AppDbContext db, CancellationToken cancellationToken)
    {
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({PostgresSql.StartupLock})", cancellationToken);
        return transaction;
    }

    private static async Task<NpgsqlConnection> ConnectAsync(string connectionString, TimeSpan connectFor, ILogger log, CancellationToken cancellationToken)
    {
        NpgsqlConnectionStringBuilder settings;
        try
        {
            settings = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new StartupProblem(
                $"ConnectionStrings__Default is not a PostgreSQL connection string ({e.Message.TrimEnd('.')}). "
                + "With Database__Provider=postgres write it in Npgsql's syntax: Host=localhost;Database=aiorchestra;Username=app;Password=...", e);
        }
        var deadline = DateTime.UtcNow + connectFor;
        for (var attempt = 1; ; attempt++)
        {
            var connection = new NpgsqlConnection(connectionString);
            try
            {
                await connection.OpenAsync(cancellationToken);
                return connection;
            }
            // a wrong password or a missing database does not pass by waiting
            catch (Exception e) when (e is NpgsqlException or TimeoutException && e is not PostgresException { SqlState: "28P01" or "28000" or "3D000" }
                && DateTime.UtcNow < deadline)
            {
                await connection.DisposeAsync();
                log.LogWarning("PostgreSQL at {Host} cannot be reached yet ({Reason}); trying again (attempt {Attempt})",
                    settings.Host, e.Message, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), cancellationToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                await connection.DisposeAsync();
                throw new StartupProblem(
                    $"PostgreSQL at {settings.Host} (database {settings.Database}) could not be reached for {connectFor.TotalSeconds:0} s: {e.Message.TrimEnd('.')}. "
                    + "Start the server, or correct ConnectionStrings__Default (Host, Port, Database, Username, Password); "
                    + "Database__ConnectSeconds sets how long start-up waits for it.", e);
            }
        }
    }
}
