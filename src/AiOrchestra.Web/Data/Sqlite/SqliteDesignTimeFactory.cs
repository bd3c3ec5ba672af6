using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AiOrchestra.Web.Data.Sqlite;

/// <summary>
/// dotnet-ef's way to SQLite's context. Without it, dotnet-ef would take PostgreSQL's factory for this context too (the
/// PostgreSQL context derives from it) and write PostgreSQL's column types into SQLite's migrations.
/// </summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<AppDbContext>
{
    public AppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AppDbContext>().UseSqlite(StoreExtensions.DefaultConnectionString).Options);
}
