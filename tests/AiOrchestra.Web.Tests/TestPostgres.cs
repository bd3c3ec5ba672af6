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

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static string CreateDatabase()
    {
        var name = "aio_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(Server))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }
        // a small pool each: many hosts share one server
        return new NpgsqlConnectionStringBuilder(Server) { Database = name, MaxPoolSize = 30 }.ToString();
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
