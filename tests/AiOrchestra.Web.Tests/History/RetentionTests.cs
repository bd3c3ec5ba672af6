using AiOrchestra.Web.Data;
using AiOrchestra.Web.History;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.History;

public sealed class RetentionTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Finished_runs_older_than_the_days_kept_are_deleted_with_their_steps()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        var old = await history.AddRunAsync(RunStatus.Succeeded, TimeSpan.FromDays(31));
        var oldCancelled = await history.AddRunAsync(RunStatus.Cancelled, TimeSpan.FromDays(45));
        var recent = await history.AddRunAsync(RunStatus.Succeeded, TimeSpan.FromDays(29));

        var deleted = await history.Pruner(new RetentionOptions { Days = 30 }).PruneAsync(CancellationToken.None);

        Assert.Equal(2, deleted);
        Assert.Equal([recent], await history.StoredRunIdsAsync());
        Assert.Equal(1, await history.StepCountAsync());
        Assert.DoesNotContain(old, await history.StoredRunIdsAsync());
        Assert.DoesNotContain(oldCancelled, await history.StoredRunIdsAsync());
    }

    [Fact]
    public async Task Audit_entries_past_their_days_go_and_the_database_refuses_to_delete_one_younger_than_ninety_days()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        // the database's trigger reads the real clock, so this clean-up runs at today's date
        var now = DateTimeOffset.UtcNow;
        await history.Host.WithDbAsync(async db =>
        {
            foreach (var days in new[] { 400, 366, 100, 1 })
            {
                await db.Database.ExecuteSqlAsync(
                    $"INSERT INTO audit_entries (at, actor_name, action, target) VALUES ({now.AddDays(-days).ToUnixTimeMilliseconds()}, 'root', 'run.started', {days.ToString()})");
            }
            return 0;
        });

        await history.Pruner(new RetentionOptions { AuditDays = 365 }, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now)).PruneAsync(CancellationToken.None);
        Assert.Equal(["1", "100"], await history.Host.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "run.started").OrderBy(e => e.Target).Select(e => e.Target).ToListAsync()));

        var refused = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() =>
            history.Host.WithDbAsync(db => db.AuditEntries.Where(e => e.Target == "1").ExecuteDeleteAsync()));
        Assert.Contains("younger than 90 days cannot be deleted", refused.Message);
        // an entry past the floor may go, as retention set lower than a year would do
        Assert.Equal(1, await history.Host.WithDbAsync(db => db.AuditEntries.Where(e => e.Target == "100").ExecuteDeleteAsync()));
    }

    [Fact]
    public async Task Failed_runs_are_kept_for_their_own_longer_days()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        await history.AddRunAsync(RunStatus.Succeeded, TimeSpan.FromDays(40));
        var failed = await history.AddRunAsync(RunStatus.Failed, TimeSpan.FromDays(40));
        await history.AddRunAsync(RunStatus.Failed, TimeSpan.FromDays(100));

        await history.Pruner(new RetentionOptions { Days = 30, FailedDays = 90 }).PruneAsync(CancellationToken.None);

        Assert.Equal([failed], await history.StoredRunIdsAsync());
    }

    [Fact]
    public async Task Beyond_the_maximum_count_the_oldest_finished_runs_go_in_batches()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        var runs = await history.AddRunsAsync(RunStatus.Succeeded, TimeSpan.FromHours(1), HistoryPruner.BatchSize * 2 + 100);

        var deleted = await history.Pruner(new RetentionOptions { MaxRuns = 50 }).PruneAsync(CancellationToken.None);

        Assert.Equal(runs.Count - 50, deleted);
        Assert.Equal(runs[^50..], await history.StoredRunIdsAsync());
        Assert.Equal(50, await history.StepCountAsync());
    }

    [Fact]
    public async Task A_run_in_flight_is_never_deleted_however_old_or_many()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        var running = await history.AddRunAsync(RunStatus.Running, TimeSpan.FromDays(400));
        var queued = await history.AddRunAsync(RunStatus.Queued, TimeSpan.FromDays(300));
        await history.AddRunsAsync(RunStatus.Succeeded, TimeSpan.FromDays(200), 3);
        var newest = await history.AddRunAsync(RunStatus.Succeeded, TimeSpan.FromMinutes(1));

        await history.Pruner(new RetentionOptions { Days = 1, MaxRuns = 1 }).PruneAsync(CancellationToken.None);

        Assert.Equal(new[] { running, queued, newest }.Order(), await history.StoredRunIdsAsync());
    }

    [Fact]
    [Trait("Provider", "sqlite")]
    public async Task The_database_file_shrinks_after_pruning()
    {
        using var file = new TempDatabase(sqliteOnly: true);
        await using var history = await HistoryFixture.StartAsync(file);
        await history.AddRunsAsync(RunStatus.Succeeded, TimeSpan.FromDays(10), 300, outputBytes: 30_000);
        await history.Host.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE)"));
        var connectionString = file.ConnectionString;
        var before = DatabaseFile.SizeOnDisk(connectionString);

        await history.Pruner(new RetentionOptions { Days = 5 }).PruneAsync(CancellationToken.None);

        var after = DatabaseFile.SizeOnDisk(connectionString);
        Assert.True(before > 8_000_000, $"the runs should take some room: {before} bytes");
        Assert.True(after < before / 4, $"the file should shrink: {before} bytes before, {after} after");
    }

    [Fact]
    public async Task The_summary_counts_the_runs_stored_and_dates_the_oldest()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        await history.AddRunsAsync(RunStatus.Succeeded, TimeSpan.FromDays(3), 4);
        await history.AddRunAsync(RunStatus.Failed, TimeSpan.FromDays(1));

        var summary = await history.Host.Get<HistoryStatus>().ReadAsync(CancellationToken.None);

        Assert.Equal(5, summary.Runs);
        Assert.Equal(history.Time.GetUtcNow() - TimeSpan.FromDays(3), summary.OldestRun);
        Assert.True(summary.SizeBytes > 0);
    }

    [Fact]
    [Trait("Provider", "sqlite")]
    public async Task An_existing_file_is_moved_to_incremental_vacuum_at_start_up_and_keeps_its_data()
    {
        using var file = new TempDatabase(sqliteOnly: true, empty: true);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(file.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE earlier (value TEXT); INSERT INTO earlier VALUES ('kept');";
            await command.ExecuteNonQueryAsync();
        }

        await using var host = new StoreHost(file, new FakeSteps());
        host.CreateClient().Dispose();

        Assert.Equal(2, (await host.WithDbAsync(db => db.Database.SqlQueryRaw<long>("SELECT auto_vacuum AS Value FROM pragma_auto_vacuum").ToListAsync())).Single());
        Assert.Equal("kept", (await host.WithDbAsync(db => db.Database.SqlQueryRaw<string>("SELECT value AS Value FROM earlier").ToListAsync())).Single());
    }
}
