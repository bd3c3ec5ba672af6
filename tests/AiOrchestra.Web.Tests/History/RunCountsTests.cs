using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.History;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;
using AiOrchestra.Web.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.History;

/// <summary>
/// Home's figures come from counts the database keeps beside the runs (no scan of every run): after every kind of
/// change a run goes through they equal what counting every run says.
/// </summary>
public sealed class RunCountsTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    // the app's own clean-up keeps everything: the test prunes when it chooses
    private readonly Dictionary<string, string?> _settings = new() { ["Runs:Concurrency"] = "1", ["Retention:Days"] = "36500" };

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task The_counts_match_a_full_scan_after_runs_cancels_a_crash_a_restart_retention_and_a_deleted_account()
    {
        string ada, bob, crashed;
        await using (var first = new StoreHost(_database, _steps, _settings))
        {
            ada = await first.CreateUserAsync("ada");
            bob = await first.CreateUserAsync("bob");
            await first.SaveAsync(ada, FakeSteps.Workflow("ok", FakeSteps.Step("hello", "echo", "hi")));
            await first.SaveAsync(ada, FakeSteps.Workflow("bad", FakeSteps.Step("oops", "fail", "broken")));
            await first.SaveAsync(ada, FakeSteps.Workflow("hold", FakeSteps.Step("wait", "block", "held")));
            await first.SaveAsync(bob, FakeSteps.Workflow("bobs", FakeSteps.Step("hello", "echo", "hi")));
            foreach (var (owner, workflow, times) in new[] { (ada, "ok", 4), (ada, "bad", 2), (bob, "bobs", 3) })
            {
                for (var i = 0; i < times; i++)
                {
                    await first.WaitForRunAsync(owner, await first.EnqueueAsync(owner, workflow));
                }
            }

            // a run cancelled while queued behind a running one, and the running one cancelled during its step
            var holding = await first.EnqueueAsync(ada, "hold");
            await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var queued = await first.EnqueueAsync(ada, "ok");
            await AssertCountsMatchAsync(first, ada, bob);
            Assert.Equal(CancelResult.Cancelled, await first.Get<RunQueue>().CancelAsync(ada, queued, CancellationToken.None));
            Assert.Equal(CancelResult.CancelRequested, await first.Get<RunQueue>().CancelAsync(ada, holding, CancellationToken.None));
            Assert.Equal(RunStatus.Cancelled, (await first.WaitForRunAsync(ada, holding)).Run.Status);

            // finished runs stored as they are (an import, the fixture's old runs), and one left running by a dead process
            await AddRunsAsync(first, ada, "ok", RunStatus.Succeeded, TimeSpan.FromDays(40), 3);
            await AddRunsAsync(first, ada, "bad", RunStatus.Failed, TimeSpan.FromDays(40), 2);
            crashed = (await AddRunsAsync(first, ada, "ok", RunStatus.Running, TimeSpan.Zero, 1, leaseOwner: "dead-host/1/0")).Single();
            var figures = await AssertCountsMatchAsync(first, ada, bob);
            Assert.Equal(4 + 2 + 2 + 5 + 1, figures[ada].Total);
            Assert.Equal(4 + 3, figures[ada].Of(RunStatus.Succeeded));
            Assert.Equal(4, figures[ada].Of(RunStatus.Failed));
            Assert.Equal(2, figures[ada].Of(RunStatus.Cancelled));
            Assert.Equal(1, figures[ada].Of(RunStatus.Running));
        }

        _steps.Blocking = false;
        if (_database.Postgres)
        {
            // processes share PostgreSQL: a dead process's runs are taken over when their lease runs out, not at a start
            await _database.ExecuteAsync($"UPDATE runs SET lease_expires_at = 0 WHERE id = '{crashed}'");
        }
        await using var second = new StoreHost(_database, _steps, _settings);
        Assert.Equal(RunStatus.Succeeded, (await second.WaitForRunAsync(ada, crashed)).Run.Status);
        var restarted = await AssertCountsMatchAsync(second, ada, bob);
        Assert.Equal(0, restarted[ada].Of(RunStatus.Running));
        Assert.Equal(4 + 3 + 1, restarted[ada].Of(RunStatus.Succeeded));

        Assert.Equal(5, await Pruner(second, new RetentionOptions { Days = 30 }).PruneAsync(CancellationToken.None));
        var pruned = await AssertCountsMatchAsync(second, ada, bob);
        Assert.Equal(5, pruned[ada].Of(RunStatus.Succeeded));
        Assert.Equal(2, pruned[ada].Of(RunStatus.Failed));
        Assert.Equal(4, await Pruner(second, new RetentionOptions { MaxRuns = 8 }).PruneAsync(CancellationToken.None));
        await AssertCountsMatchAsync(second, ada, bob);

        // a deleted account hands its runs to another: they are counted there
        await using (var scope = second.Services.CreateAsyncScope())
        {
            Assert.Null(await scope.ServiceProvider.GetRequiredService<UserAdministration>().DeleteAsync(ada, bob, ada, CancellationToken.None));
        }
        var handedOver = await AssertCountsMatchAsync(second, ada);
        Assert.Equal(8, handedOver[ada].Total);
        Assert.Empty(await second.WithDbAsync(db => db.RunCounts.Where(c => c.OwnerId == bob).ToListAsync()));

        // and what Settings shows counts the same way
        Assert.Equal(8, (await second.Get<HistoryStatus>().ReadAsync(CancellationToken.None)).Runs);
    }

    [Fact]
    [Trait("Provider", "sqlite")] // an upgrade through SQLite's migrations; PostgreSQL's start with the triggers in place
    public async Task A_database_with_runs_from_before_the_counts_gets_them_counted_when_it_is_migrated()
    {
        await using var host = new StoreHost(_database, _steps, _settings);
        var ada = await host.CreateUserAsync("ada");
        await host.SaveAsync(ada, FakeSteps.Workflow("ok", FakeSteps.Step("hello", "echo", "hi")));
        await AddRunsAsync(host, ada, "ok", RunStatus.Succeeded, TimeSpan.FromDays(3), 4);

        // back to the migration before the counts, runs stored then, and forward again as an upgrade does
        await using (var db = await host.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var migrations = db.Database.GetMigrations().ToList();
            var before = migrations[migrations.FindIndex(m => m.EndsWith("_RunCounts", StringComparison.Ordinal)) - 1];
            await db.GetService<IMigrator>().MigrateAsync(before);
        }
        await AddRunsAsync(host, ada, "ok", RunStatus.Failed, TimeSpan.FromDays(1), 2);
        await AddRunsAsync(host, ada, "ok", RunStatus.Succeeded, TimeSpan.Zero, 3);
        var queued = await AddRunsAsync(host, ada, "ok", RunStatus.Queued, TimeSpan.Zero, 1);
        await using (var db = await host.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
        }

        var figures = await AssertCountsMatchAsync(host, ada);
        Assert.Equal(4 + 2 + 3 + 1, figures[ada].Total);
        // the running worker may take the queued run while the schema is still the old one, and that run then fails:
        // counted like the others all the same
        var queuedFailed = await host.WithDbAsync(db => db.Runs.CountAsync(r => r.Id == queued[0] && r.Status == RunStatus.Failed));
        Assert.Equal(2 + queuedFailed, figures[ada].Of(RunStatus.Failed));
    }

    /// <summary>
    /// Within one read transaction (a snapshot, whatever the worker does meanwhile): the kept counts equal the finished
    /// runs counted one by one, and each owner's figures equal a count of the owner's runs by status and by day.
    /// </summary>
    private static async Task<Dictionary<string, RunFigures>> AssertCountsMatchAsync(StoreHost host, params string[] owners)
    {
        await using var db = await host.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var scanned = await db.Database.SqlQuery<Scanned>(
            $"SELECT owner_id AS OwnerId, created_at / 86400000 AS Day, status AS Status, COUNT(*) AS Runs FROM runs GROUP BY owner_id, created_at / 86400000, status")
            .ToListAsync();
        var kept = await db.RunCounts.AsNoTracking().ToListAsync();
        var finished = new[] { "succeeded", "failed", "cancelled" };
        Assert.Equal(
            scanned.Where(s => finished.Contains(s.Status)).Select(s => $"{s.OwnerId} {s.Day} {s.Status} {s.Runs}").Order(),
            kept.Select(c => $"{c.OwnerId} {c.Day} {c.Status.ToText()} {c.Runs}").Order());

        var figures = new Dictionary<string, RunFigures>();
        foreach (var owner in owners)
        {
            var mine = scanned.Where(s => s.OwnerId == owner).ToList();
            var first = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-60);
            var read = await RunFigures.ReadAsync(db, owner, first, CancellationToken.None);
            Assert.Equal(mine.Sum(s => s.Runs), read.Total);
            foreach (var status in Enum.GetValues<RunStatus>())
            {
                Assert.Equal(mine.Where(s => s.Status == status.ToText()).Sum(s => s.Runs), read.Of(status));
            }
            foreach (var day in mine.Select(s => s.Day).Distinct())
            {
                var date = DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(day));
                Assert.Equal(
                    (mine.Where(s => s.Day == day).Sum(s => s.Runs), mine.Where(s => s.Day == day && s.Status == "failed").Sum(s => s.Runs)),
                    read.OnDay(date));
            }
            figures[owner] = read;
        }
        return figures;
    }

    private static HistoryPruner Pruner(StoreHost host, RetentionOptions retention) =>
        new(host.Get<IDbContextFactory<AppDbContext>>(), host.Get<StoreSql>(), Options.Create(retention), host.Get<AiOrchestra.Web.Metrics.OperationMetrics>(),
            new FakeTimeProvider(DateTimeOffset.UtcNow), NullLogger<HistoryPruner>.Instance);

    /// <summary>Stores runs as they are, created <paramref name="age"/> ago (finished then too when finished).</summary>
    private static async Task<List<string>> AddRunsAsync(
        StoreHost host, string owner, string workflowId, RunStatus status, TimeSpan age, int count, string? leaseOwner = null)
    {
        return await host.WithDbAsync(async db =>
        {
            var ids = new List<string>();
            var version = await db.WorkflowVersions
                .Where(v => v.Record!.OwnerId == owner && v.Record.WorkflowId == workflowId).OrderByDescending(v => v.Number)
                // only the columns a run needs: the upgrade test calls this on the schema from before later migrations
                .Select(v => new { v.Id, v.WorkflowRecordId, v.Number }).FirstAsync();
            var created = DateTimeOffset.UtcNow - age;
            for (var i = 0; i < count; i++)
            {
                var at = created.AddMilliseconds(i);
                var id = Guid.CreateVersion7(at).ToString();
                ids.Add(id);
                // plain SQL, not the model: the runs' key (RunKeys) is not on that older schema
                long? started = status == RunStatus.Queued ? null : at.ToUnixTimeMilliseconds();
                long? finished = status.IsFinished() ? at.ToUnixTimeMilliseconds() : null;
                long? leaseUntil = leaseOwner is null ? null : DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds();
                await db.Database.ExecuteSqlAsync(
                    $"""
                    INSERT INTO runs (id, owner_id, workflow_record_id, workflow_version_id, workflow_id, workflow_version_number, status,
                                      origin, inputs, created_at, started_at, finished_at, lease_owner, lease_expires_at, cancel_requested)
                    VALUES ({id}, {owner}, {version.WorkflowRecordId}, {version.Id}, {workflowId}, {version.Number}, {status.ToText()},
                            {RunOrigin.Manual}, {"{}"}, {at.ToUnixTimeMilliseconds()}, {started}, {finished}, {leaseOwner}, {leaseUntil}, {false})
                    """);
            }
            return ids;
        });
    }

    private sealed record Scanned(string OwnerId, long Day, string Status, long Runs);
}
