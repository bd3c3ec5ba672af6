using System.Text.Json;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiOrchestra.Web.Tests.Store;

/// <summary>
/// An upgrade to the smaller run indexes (issue 18: the Logs indexes ascending, the child-run index partial): a file
/// with runs, taken back to before that migration and forward again, lists and exports its runs as before.
/// </summary>
[Trait("Provider", "sqlite")]
public sealed class RunIndexMigrationTests : IDisposable
{
    private readonly TempDatabase _database = new(sqliteOnly: true);
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Runs_stored_before_the_smaller_indexes_read_back_identically_after_the_upgrade()
    {
        await using var host = new StoreHost(_database, _steps, new() { ["Runs:Concurrency"] = "1", ["Retention:Days"] = "36500" });
        var ada = await host.CreateUserAsync("ada");
        await host.SaveAsync(ada, FakeSteps.Workflow("ok", FakeSteps.Step("hello", "echo", "hi")));
        await host.SaveAsync(ada, FakeSteps.Workflow("bad", FakeSteps.Step("oops", "fail", "broken")));

        var runs = new List<string>();
        foreach (var workflow in new[] { "ok", "bad", "ok", "bad", "ok" })
        {
            var id = await host.EnqueueAsync(ada, workflow);
            await host.WaitForRunAsync(ada, id);
            runs.Add(id);
        }
        var before = await ReadAsync(host, ada, runs);

        // back to before the migration (the runs kept, the old indexes made again from them), then forward as an upgrade
        // does. The runs are stored by today's code first: it no longer runs on a schema that old (RunKeysMigrationTests).
        await using (var db = await host.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var migrations = db.Database.GetMigrations().ToList();
            await db.GetService<IMigrator>().MigrateAsync(migrations[migrations.FindIndex(m => m.EndsWith("_AscendingLogsIndexes", StringComparison.Ordinal)) - 1]);
            Assert.Contains("DESC", await IndexSqlAsync(db, "IX_runs_owner_id_status_created_at"));
        }

        await using (var db = await host.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
            Assert.DoesNotContain("DESC", await IndexSqlAsync(db, "IX_runs_owner_id_status_created_at"));
            Assert.Contains("WHERE parent_run_id IS NOT NULL", await IndexSqlAsync(db, "IX_runs_parent_run_id_child_key"));
        }
        Assert.Equal(before, await ReadAsync(host, ada, runs));

        // a run after the upgrade lists first, and the filters keep the newest-first order
        var after = await host.EnqueueAsync(ada, "ok");
        await host.WaitForRunAsync(ada, after);
        var listed = await host.InScope<RunStore, RunPage>(store => store.ListAsync(ada, new RunFilter { Status = RunStatus.Succeeded }, CancellationToken.None));
        Assert.Equal([after, runs[4], runs[2], runs[0]], listed.Runs.Select(r => r.Id));
    }

    /// <summary>Every list the Logs page and the API give (unfiltered, by status, workflow, origin) and each run's export, as JSON.</summary>
    private static async Task<string> ReadAsync(StoreHost host, string owner, List<string> runs)
    {
        var filters = new RunFilter[]
        {
            new(), new() { Status = RunStatus.Failed }, new() { WorkflowId = "ok" }, new() { Origin = RunOrigin.Manual },
            new() { Status = RunStatus.Succeeded, Take = 2 },
        };
        var read = new List<object?>();
        foreach (var filter in filters)
        {
            read.Add(await host.InScope<RunStore, RunPage>(store => store.ListAsync(owner, filter, CancellationToken.None)));
        }
        foreach (var run in runs)
        {
            read.Add((await host.InScope<RunStore, System.Text.Json.Nodes.JsonObject?>(store => store.ExportAsync(owner, run, CancellationToken.None)))?.ToJsonString());
        }
        return JsonSerializer.Serialize(read);
    }

    private static async Task<string> IndexSqlAsync(AppDbContext db, string name) =>
        await db.Database.SqlQuery<string>($"SELECT sql AS Value FROM sqlite_master WHERE type = 'index' AND name = {name}").SingleAsync();
}
