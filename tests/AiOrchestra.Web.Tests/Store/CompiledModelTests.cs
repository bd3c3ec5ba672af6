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

        // compared by what the store depends on, not by the models' debug text: the compiled model is one shared
        // instance, and the runtime annotations other tests' hosts add to it would make that text differ
        Assert.True(Description(built.Model).SequenceEqual(Description(compiled.Model)),
            "Data/CompiledModels no longer matches the EF model (entity types, columns, converters, keys, indexes or relationships): " + Regenerate);
    }

    private static IEnumerable<string> Description(Microsoft.EntityFrameworkCore.Metadata.IModel model) =>
        from entity in model.GetEntityTypes().OrderBy(e => e.Name, StringComparer.Ordinal)
        from line in entity.GetProperties()
                .Select(p => $"{entity.Name}.{p.Name} {p.ClrType.Name} null {p.IsNullable} column {p.GetColumnName()} "
                    + $"converter {p.GetValueConverter() is not null} max {p.GetMaxLength()}")
            .Concat(entity.GetKeys().Select(k => $"{entity.Name} key ({Names(k.Properties)}) primary {k.IsPrimaryKey()}"))
            .Concat(entity.GetIndexes().Select(i => $"{entity.Name} index ({Names(i.Properties)}) unique {i.IsUnique} filter {i.GetFilter()}"))
            .Concat(entity.GetForeignKeys().Select(f => $"{entity.Name} foreign key ({Names(f.Properties)}) to {f.PrincipalEntityType.Name} delete {f.DeleteBehavior}"))
            .Prepend($"{entity.Name} table {entity.GetTableName()}")
            .Order(StringComparer.Ordinal)
        select line;

    private static string Names(IEnumerable<Microsoft.EntityFrameworkCore.Metadata.IReadOnlyProperty> properties) => string.Join(",", properties.Select(p => p.Name));

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
