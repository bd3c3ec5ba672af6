using AiOrchestra.Web.Data;
using AiOrchestra.Web.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiOrchestra.Web.Tests.Store;

/// <summary>
/// A restart on an SQLite database with every migration applied skips EF's migrator (<see cref="AppliedMigrations"/>);
/// any other database is migrated as before.
/// </summary>
[Trait("Provider", "sqlite")]
public sealed class AppliedMigrationsTests : IDisposable
{
    private readonly TempDatabase _database = new(sqliteOnly: true, empty: true);

    public void Dispose() => _database.Dispose();

    [Fact]
    public void The_start_knows_the_newest_sqlite_migration_and_their_number()
    {
        using var db = _database.OpenContext();
        var migrations = db.Database.GetMigrations().ToList();

        // a stale pair would make the start skip the new migration on every database migrated before it
        Assert.True(migrations[^1] == AppliedMigrations.Newest && migrations.Count == AppliedMigrations.Count,
            $"Data/Sqlite/AppliedMigrations.cs names {AppliedMigrations.Newest} of {AppliedMigrations.Count} migrations, but SQLite's are "
            + $"{migrations.Count} up to {migrations[^1]}: set Newest = \"{migrations[^1]}\" and Count = {migrations.Count}.");
    }

    [Fact]
    public async Task Only_a_database_with_every_migration_is_current()
    {
        await using var db = _database.OpenContext();
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        var migrations = db.Database.GetMigrations().ToList();

        Assert.False(await AppliedMigrations.AreCurrentAsync(connection, CancellationToken.None)); // no tables yet

        await db.GetService<IMigrator>().MigrateAsync(migrations[^2]);
        Assert.False(await AppliedMigrations.AreCurrentAsync(connection, CancellationToken.None)); // the newest is pending

        await db.Database.MigrateAsync();
        Assert.True(await AppliedMigrations.AreCurrentAsync(connection, CancellationToken.None));

        // the newest applied but an earlier one not (two branches' migrations merged in the other order)
        await db.Database.ExecuteSqlAsync($"""DELETE FROM "__EFMigrationsHistory" WHERE "MigrationId" = {migrations[^3]}""");
        Assert.False(await AppliedMigrations.AreCurrentAsync(connection, CancellationToken.None));
    }

    [Fact]
    public async Task A_database_one_migration_behind_is_migrated_at_start()
    {
        await using (var db = _database.OpenContext())
        {
            var migrations = db.Database.GetMigrations().ToList();
            await db.GetService<IMigrator>().MigrateAsync(migrations[^2]);
        }

        await using var host = new StoreHost(_database, new FakeSteps());
        host.CreateClient().Dispose();

        Assert.Empty(await host.WithDbAsync(db => db.Database.GetPendingMigrationsAsync()));
    }
}
