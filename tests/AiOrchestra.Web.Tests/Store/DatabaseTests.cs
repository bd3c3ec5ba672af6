using AiOrchestra.Web.Data;
using AiOrchestra.Web.Data.Postgres;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.Store;

public sealed class DatabaseTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    [Trait("Provider", "sqlite")]
    public async Task The_sqlite_database_is_migrated_at_start_up_and_uses_the_write_ahead_log()
    {
        using var file = new TempDatabase(sqliteOnly: true, empty: true);
        await using var host = new StoreHost(file, new FakeSteps());
        host.CreateClient().Dispose();

        var pending = await host.WithDbAsync(db => db.Database.GetPendingMigrationsAsync());
        var journal = await host.WithDbAsync(db => db.Database.SqlQueryRaw<string>("PRAGMA journal_mode").ToListAsync());

        Assert.Empty(pending);
        Assert.Equal("wal", journal.Single());
        Assert.True(File.Exists(Path.Combine(file.Folder, "test.db")));
    }

    [Fact]
    [Trait("Provider", "sqlite")]
    public async Task The_model_has_no_changes_missing_from_the_sqlite_migrations()
    {
        using var file = new TempDatabase(sqliteOnly: true);
        await using var host = new StoreHost(file, new FakeSteps());
        host.CreateClient().Dispose();

        // start-up skips this check to save memory, so a forgotten `dotnet ef migrations add` is caught here
        Assert.False(await host.WithDbAsync(db => Task.FromResult(db.Database.HasPendingModelChanges())),
            "The EF model differs from SQLite's last migration: run `dotnet ef migrations add <Name> --project src/AiOrchestra.Web --context AppDbContext`.");
    }

    [Fact]
    public void The_model_has_no_changes_missing_from_the_postgres_migrations()
    {
        // reads the model and the migrations only: no server needed
        using var db = new PostgresDbContext(PostgresDbContext.Options("Host=localhost;Database=unused"));

        Assert.False(db.Database.HasPendingModelChanges(),
            "The EF model differs from PostgreSQL's last migration: run `dotnet ef migrations add <Name> --project src/AiOrchestra.Web --context PostgresDbContext --output-dir Data/Postgres/Migrations`.");
    }

    [Fact]
    public async Task No_migration_is_pending_after_start_up()
    {
        await using var host = new StoreHost(_database, new FakeSteps());
        host.CreateClient().Dispose();

        var pending = _database.Postgres
            ? await new PostgresDbContext(PostgresDbContext.Options(_database.ConnectionString)).Database.GetPendingMigrationsAsync()
            : await host.WithDbAsync(db => db.Database.GetPendingMigrationsAsync());
        Assert.Empty(pending);
    }

    [Fact]
    public void A_relative_database_file_is_placed_under_the_content_root()
    {
        var resolved = StoreExtensions.ResolveConnectionString("Data Source=data/app.db", "/srv/orchestra");

        Assert.Equal("Data Source=/srv/orchestra/data/app.db", resolved);
    }

    [Fact]
    public async Task A_configured_administrator_is_created_on_first_start_with_the_example_prompts()
    {
        var settings = new Dictionary<string, string?> { ["Admin:UserName"] = "admin", ["Admin:Password"] = "Correct-horse-battery-9" };
        await using var host = new StoreHost(_database, new FakeSteps(), settings);
        host.CreateClient().Dispose();

        var admin = await host.WithDbAsync(db => db.Users.SingleAsync());
        Assert.Equal("admin", admin.UserName);
        var examples = Directory.GetFiles(Path.Combine(StoreHost.RepositoryRoot, "data", "examples", "prompts"), "*.json");
        var prompts = await host.InScope<PromptStore, IReadOnlyList<StoredPrompt>>(s => s.ListAsync(admin.Id, CancellationToken.None));
        Assert.Equal(examples.Length, prompts.Count);
        Assert.NotEmpty(prompts);
        // the example that needs no API key uses installed step types, so it is there to run
        var workflows = await host.InScope<WorkflowStore, IReadOnlyList<WorkflowSummary>>(s => s.ListAsync(admin.Id, CancellationToken.None));
        Assert.Contains(workflows, w => w.WorkflowId == "offline_release_notes");
    }

    [Fact]
    public async Task The_configured_administrator_is_not_created_once_someone_has_an_account()
    {
        await using (var first = new StoreHost(_database, new FakeSteps()))
        {
            await first.CreateUserAsync("ada");
        }

        var settings = new Dictionary<string, string?> { ["Admin:UserName"] = "admin", ["Admin:Password"] = "Correct-horse-battery-9" };
        await using var host = new StoreHost(_database, new FakeSteps(), settings);
        host.CreateClient().Dispose();

        Assert.Equal(["ada"], await host.WithDbAsync(db => db.Users.Select(u => u.UserName!).ToListAsync()));
    }
}
