using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AiOrchestra.Web.Tests;

/// <summary>
/// The provider the tests run on. With <c>AIORCHESTRA_TEST_POSTGRES</c> set to a server's connection string (without a
/// database; <c>.ci/postgres</c> starts one), each test host gets a new PostgreSQL database of its own, dropped with it;
/// without it, a SQLite file as before. Tests of what only SQLite has (its file, backups, pragmas) stay on SQLite.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "AIORCHESTRA_TEST_POSTGRES";

    /// <summary>The server's connection string, or null when the tests run on SQLite.</summary>
    public static string? Server { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>
    /// Creates a database and returns its connection string: a copy of a database migrated once per test process
    /// (applying the migrations for every test host took most of the PostgreSQL pass), or when
    /// <paramref name="empty"/>, an empty one for tests of start-up's migration itself.
    /// </summary>
    public static string CreateDatabase(bool empty = false)
    {
        var name = "aio_" + Guid.NewGuid().ToString("N");
        Execute(empty ? $"CREATE DATABASE {name}" : $"CREATE DATABASE {name} TEMPLATE {Template.Value}");
        // a small pool each: many hosts share one server
        return new NpgsqlConnectionStringBuilder(Server) { Database = name, MaxPoolSize = 30 }.ToString();
    }

    private static readonly Lazy<string> Template = new(() =>
    {
        var name = $"aio_template_{Environment.ProcessId}_{Guid.NewGuid():N}"[..40];
        Execute($"CREATE DATABASE {name}");
        // no pooled connection may stay on a template while databases are copied from it
        var connection = new NpgsqlConnectionStringBuilder(Server) { Database = name, Pooling = false }.ToString();
        using (var db = new AiOrchestra.Web.Data.Postgres.PostgresDbContext(AiOrchestra.Web.Data.Postgres.PostgresDbContext.Options(connection)))
        {
            db.Database.Migrate();
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            }
            catch (NpgsqlException)
            {
                // the throwaway cluster may be gone already
            }
        };
        return name;
    });

    private static void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(Server);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public static void DropDatabase(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(Server);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }
}
