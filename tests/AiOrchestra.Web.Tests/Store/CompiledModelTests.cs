using AiOrchestra.Web.Data;
using AiOrchestra.Web.Data.CompiledModels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace AiOrchestra.Web.Tests.Store;

/// <summary>SQLite's EF model is built ahead (<c>Data/CompiledModels</c>) so the start does not build it.</summary>
public sealed class CompiledModelTests
{
    private const string Regenerate =
        "run `dotnet ef dbcontext optimize --project src/AiOrchestra.Web --context AppDbContext --output-dir Data/CompiledModels "
        + "--namespace AiOrchestra.Web.Data.CompiledModels` and delete the AppDbContextAssemblyAttributes.cs it writes (README, schema changes).";

    [Fact]
    public void The_compiled_model_matches_the_model_OnModelCreating_builds()
    {
        // built from OnModelCreating, as before the compiled model
        using var db = new AppDbContext(new DbContextOptionsBuilder<AppDbContext>().UseSqlite("Data Source=unused.db").Options);

        Assert.True(db.Model.ToDebugString(MetadataDebugStringOptions.LongDefault) == AppDbContextModel.Instance.ToDebugString(MetadataDebugStringOptions.LongDefault),
            "Data/CompiledModels no longer matches the EF model: " + Regenerate);
    }

    [Fact]
    public void The_compiled_model_is_not_discovered_for_every_provider()
    {
        // EF Core would use an assembly's DbContextModel attribute for AppDbContext on PostgreSQL too: SQLite's model there
        var discovered = typeof(AppDbContext).Assembly.GetCustomAttributes(typeof(DbContextModelAttribute), inherit: false);

        Assert.True(discovered.Length == 0, "The assembly names a compiled model for every provider: " + Regenerate);
    }

    [Fact]
    [Trait("Provider", "sqlite")]
    public async Task The_sqlite_store_uses_the_compiled_model()
    {
        using var file = new TempDatabase(sqliteOnly: true);
        await using var host = new StoreHost(file, new FakeSteps());
        host.CreateClient().Dispose();

        var model = await host.WithDbAsync(db => Task.FromResult(db.Model));

        Assert.Same(AppDbContextModel.Instance, model);
    }
}
