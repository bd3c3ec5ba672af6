using AiOrchestra.Web.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using AiOrchestra.Web.Data.Postgres;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Data;

/// <summary>
/// Before anything else starts: applies the migrations (SQLite's or PostgreSQL's, see <see cref="PostgresStartup"/>), and when <c>Admin:UserName</c> and <c>Admin:Password</c>
/// are set and there is no user yet, creates that administrator with the example workflows and prompts.
/// Then returns the start-up garbage to the system.
/// </summary>
internal sealed class StoreStartup(IServiceScopeFactory scopes, IConfiguration configuration, Examples examples, StoreSql sql, ILogger<StoreStartup> log)
    : IHostedService
{
    private const int Corrupt = 11; // SQLITE_CORRUPT
    private const int NotADatabase = 26; // SQLITE_NOTADB
    private static int _collected; // 1 once a host of this process has collected its start-up garbage

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            if (sql.Provider == DatabaseProvider.Postgres)
            {
                var connectFor = TimeSpan.FromSeconds(configuration.GetValue(PostgresStartup.ConnectSecondsKey, PostgresStartup.DefaultConnectSeconds));
                await PostgresStartup.MigrateAsync(db.Database.GetConnectionString()!, connectFor, log,
                    () => CreateAdministratorAsync(scope.ServiceProvider, db, cancellationToken), cancellationToken);
            }
            else
            {
                await MigrateSqliteAsync(db, cancellationToken);
                await CreateAdministratorAsync(scope.ServiceProvider, db, cancellationToken);
            }
        }

        // Migrating and seeding leave megabytes of garbage that a quiet server would otherwise keep resident
        // for hours: hand it back to the system once, before the first request. Once per process: a process that
        // starts hosts again (the tests) has no such garbage left the second time, only other hosts' live memory.
        if (Interlocked.Exchange(ref _collected, 1) == 0)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }

    private async Task MigrateSqliteAsync(AppDbContext db, CancellationToken cancellationToken)
    {
        StoreExtensions.EnsureDataFolder(db.Database.GetConnectionString());
        try
        {
            await History.DatabaseFile.UseIncrementalVacuumAsync(db, log, cancellationToken);
            await db.Database.ExecuteSqlRawAsync(SqlitePragmas.DatabaseSql, cancellationToken);
            if (!await AreMigrationsCurrentAsync(db, cancellationToken))
            {
                await db.Database.MigrateAsync(cancellationToken);
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode is NotADatabase or Corrupt)
        {
            var file = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
            throw new StartupProblem(
                $"The database {file} is damaged or is not an SQLite database ({e.Message.TrimEnd('.')}). "
                + "Restore it from a backup, or move it away to start with an empty one (ConnectionStrings__Default names another file).", e);
        }
    }

    private static Task<bool> AreMigrationsCurrentAsync(AppDbContext db, CancellationToken cancellationToken) =>
        ReadAsync(db, connection => Sqlite.AppliedMigrations.AreCurrentAsync(connection, cancellationToken), cancellationToken);

    private async Task CreateAdministratorAsync(IServiceProvider services, AppDbContext db, CancellationToken cancellationToken)
    {
        var userName = configuration["Admin:UserName"];
        var password = configuration["Admin:Password"];
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password) || await HasUsersAsync(db, cancellationToken))
        {
            return;
        }

        var users = services.GetRequiredService<UserManager<AppUser>>();
        var admin = new AppUser { UserName = userName };
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded)
        {
            throw new StartupProblem(
                $"The administrator '{userName}' from Admin:UserName could not be created: "
                + string.Join(" ", created.Errors.Select(e => e.Description)) + " Change Admin:Password (or Admin:UserName) and start again.");
        }
        log.LogInformation("Created the administrator {UserName}", userName);
        await examples.LoadForUserAsync(admin.Id, cancellationToken);
    }

    /// <summary>
    /// Whether anyone has an account, in plain SQL (the same on both providers): as <c>db.Users.AnyAsync()</c> here and
    /// in <see cref="WelcomeMessage"/> it was the start's only LINQ query, and compiling EF's query pipeline for it took
    /// about 0.2 s of a restart's CPU before the first <c>/health</c>.
    /// </summary>
    internal static Task<bool> HasUsersAsync(AppDbContext db, CancellationToken cancellationToken) =>
        ReadAsync(db, async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = """SELECT 1 FROM "AspNetUsers" LIMIT 1""";
            return await command.ExecuteScalarAsync(cancellationToken) is not null;
        }, cancellationToken);

    /// <summary>Plain SQL on the context's connection, opened for it and closed after (no EF query compiled).</summary>
    private static async Task<T> ReadAsync<T>(AppDbContext db, Func<System.Data.Common.DbConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return await read(db.Database.GetDbConnection());
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
