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
        using var built = Context(compiled: false); // from OnModelCreating, as before the compiled model
        using var compiled = Context(compiled: true);

        // entity types, properties, keys, indexes and relationships without annotations: the runtime annotations the
        // store's use adds to the compiled model (other tests' hosts) would otherwise differ from a fresh model
        Assert.True(built.Model.ToDebugString(MetadataDebugStringOptions.ShortDefault) == compiled.Model.ToDebugString(MetadataDebugStringOptions.ShortDefault),
            "Data/CompiledModels no longer matches the EF model's entity types: " + Regenerate);
        // what the short description leaves out but the store depends on: value converters (the stored ledger's form),
        // column names, index filters
        Assert.True(Details(built.Model).SequenceEqual(Details(compiled.Model)),
            "Data/CompiledModels no longer matches the EF model's converters, columns or indexes: " + Regenerate);
    }

    private static IEnumerable<string> Details(Microsoft.EntityFrameworkCore.Metadata.IModel model) =>
        from entity in model.GetEntityTypes().OrderBy(e => e.Name, StringComparer.Ordinal)
        from line in entity.GetProperties()
                .Select(p => $"{entity.Name}.{p.Name} column {p.GetColumnName()} converter {p.GetValueConverter() is not null}")
            .Concat(entity.GetIndexes()
                .Select(i => $"{entity.Name} index ({string.Join(",", i.Properties.Select(p => p.Name))}) unique {i.IsUnique} "
                    + $"filter {i.GetFilter()}"))
            .Order(StringComparer.Ordinal)
        select line;

    [Fact]
    public void The_compiled_model_is_not_discovered_for_every_provider()
    {
        // EF Core would use an assembly's DbContextModel attribute for AppDbContext on PostgreSQL too: SQLite's model there
        var discovered = typeof(AppDbContext).Assembly.GetCustomAttributes(typeof(DbContextModelAttribute), inherit: false);

        Assert.True(discovered.Length == 0, "The assembly names a compiled model for every provider: " + Regenerate);
    }

    private static AppDbContext Context(bool compiled)
    {
        var options = new DbContextOptionsBuilder<AppDbContext>().UseSqlite("Data Source=unused.db");
        if (compiled)
        {
            options.UseModel(AppDbContextModel.Instance);
        }
        return new AppDbContext(options.Options);
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
