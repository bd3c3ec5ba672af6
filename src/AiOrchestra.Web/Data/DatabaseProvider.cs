using AiOrchestra.Web.Hosting;

namespace AiOrchestra.Web.Data;

/// <summary>Which database the app stores everything in (<c>Database:Provider</c>).</summary>
public enum DatabaseProvider
{
    /// <summary>One SQLite file, one process: the default.</summary>
    Sqlite,

    /// <summary>One PostgreSQL database shared by as many processes as needed.</summary>
    Postgres,
}

public static class DatabaseProviders
{
    public const string Key = "Database:Provider";

    /// <summary>The configured provider, SQLite for a value that is neither (start-up reports that, see StoreExtensions).</summary>
    public static DatabaseProvider ReadOrDefault(IConfiguration configuration) =>
        configuration[Key]?.Trim().ToLowerInvariant() is "postgres" or "postgresql" ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite;

    /// <summary>The configured provider; a value that is neither stops the start with one line saying what to set.</summary>
    public static DatabaseProvider Read(IConfiguration configuration) => configuration[Key]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sqlite" => DatabaseProvider.Sqlite,
        "postgres" or "postgresql" => DatabaseProvider.Postgres,
        var other => throw new StartupProblem(
            $"Database:Provider is '{other}'; set sqlite (the default, one SQLite file) or postgres (ConnectionStrings__Default then in Npgsql's syntax, e.g. Host=localhost;Database=aiorchestra;Username=app;Password=...)."),
    };
}
