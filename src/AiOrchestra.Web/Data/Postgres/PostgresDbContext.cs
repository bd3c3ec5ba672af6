using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AiOrchestra.Web.Data.Postgres;

/// <summary>
/// The same model as <see cref="AppDbContext"/>, as the context type of PostgreSQL's own migrations (EF Core's pattern
/// for several providers: one context type, and so one migrations folder, per provider). Only start-up's migration and
/// dotnet-ef use it; everything else works with <see cref="AppDbContext"/> on either provider.
/// </summary>
public sealed class PostgresDbContext(DbContextOptions<PostgresDbContext> options) : AppDbContext(options)
{
    public static DbContextOptions<PostgresDbContext> Options(string connectionString) =>
        new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql(connectionString).Options;
}

/// <summary>dotnet-ef's way to the PostgreSQL context: adding a migration reads the model and needs no server.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresDbContext>
{
    public PostgresDbContext CreateDbContext(string[] args) => new(PostgresDbContext.Options("Host=localhost;Database=aiorchestra"));
}
