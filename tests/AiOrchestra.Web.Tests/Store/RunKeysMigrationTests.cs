using System.Text.Json;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiOrchestra.Web.Tests.Store;

/// <summary>
/// The upgrade to run keys (issue 18: <c>run_steps</c> references its run by the run's integer key, not its text id):
/// a database at the migration before, with runs and steps, reads the same steps for each run once migrated, and
/// keeps the foreign keys, partial indexes and triggers of the tables it rebuilt. On both providers.
/// </summary>
public sealed class RunKeysMigrationTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Runs_and_steps_stored_before_the_run_keys_read_back_the_same_after_the_upgrade()
    {
        await using var host = new StoreHost(_database, _steps, new() { ["Runs:Concurrency"] = "1", ["Retention:Days"] = "36500" });
        var ada = await host.CreateUserAsync("ada");
        await host.SaveAsync(ada, FakeSteps.Workflow("two", FakeSteps.Step("first", "echo", "one"), FakeSteps.Step("second", "echo", "{{first_output}} two")));
        await host.SaveAsync(ada, FakeSteps.Workflow("bad", FakeSteps.Step("oops", "fail", "broken")));
        var runs = new List<string>();
        string[] workflows = ["two", "bad", "two", "two", "bad"];
        foreach (var workflow in workflows)
        {
            var id = await host.EnqueueAsync(ada, workflow);
            await host.WaitForRunAsync(ada, id);
            runs.Add(id);
        }
        var schema = await SchemaAsync(host);
        var before = await ReadAsync(host, ada, runs);

        // back to the migration before: the steps name their run by its id again (today's code does not run on it)
        var copy = Guid.CreateVersion7().ToString();
        await using (var db = MigrationContext())
        {
            var migrations = db.Database.GetMigrations().ToList();
            await db.GetService<IMigrator>().MigrateAsync(migrations[migrations.FindIndex(m => m.EndsWith("_RunKeys", StringComparison.Ordinal)) - 1]);
            var linked = await db.Database.SqlQuery<string>($"SELECT run_id || ' ' || step_id AS \"Value\" FROM run_steps").ToListAsync();
            Assert.Equal(
                runs.SelectMany((id, i) => workflows[i] == "bad" ? [$"{id} oops"] : new[] { $"{id} first", $"{id} second" }).Order(),
                linked.Order());

            // a run and its steps written on the old schema as its code wrote them: a copy of the third run, one output changed
            await db.Database.ExecuteSqlRawAsync(
                """
                INSERT INTO runs (id, owner_id, workflow_record_id, workflow_version_id, workflow_id, workflow_version_number, status, origin,
                                  inputs, created_at, started_at, finished_at, cancel_requested)
                SELECT {0}, owner_id, workflow_record_id, workflow_version_id, workflow_id, workflow_version_number, status, origin,
                       inputs, created_at, started_at, finished_at, cancel_requested FROM runs WHERE id = {1}
                """, copy, runs[2]);
            await db.Database.ExecuteSqlRawAsync(
                """
                INSERT INTO run_steps (run_id, step_index, step_id, status, output, attempts, duration_ms, started_at, finished_at)
                SELECT {0}, step_index, step_id, status, CASE WHEN step_index = 1 THEN '"copied"' ELSE output END, attempts, duration_ms,
                       started_at, finished_at FROM run_steps WHERE run_id = {1}
                """, copy, runs[2]);
        }

        await using (var db = MigrationContext())
        {
            await db.Database.MigrateAsync();
        }
        Assert.Equal(before, await ReadAsync(host, ada, runs));
        var copied = await host.GetRunAsync(ada, copy);
        Assert.Equal(["first", "second"], copied.Steps.Select(s => s.StepId));
        Assert.Equal(["\"one\"", "\"copied\""], copied.Steps.Select(s => s.Output));
        Assert.Equal(schema, await SchemaAsync(host));

        // a run after the upgrade gets a key of its own and stores its steps; deleting a run deletes its steps
        var after = await host.EnqueueAsync(ada, "two");
        Assert.Equal(["\"one\"", "\"one two\""], (await host.WaitForRunAsync(ada, after)).Steps.Select(s => s.Output));
        await host.WithDbAsync(db => db.Runs.Where(r => r.Id == runs[0]).ExecuteDeleteAsync());
        // left: runs 1 to 4 (6 steps), the copy (2) and the run after (2)
        Assert.Equal(6 + 2 + 2, await host.WithDbAsync(db => db.RunSteps.CountAsync()));
        Assert.Equal(6, await host.WithDbAsync(db => db.Runs.Select(r => r.Key).Distinct().CountAsync()));
    }

    /// <summary>A context with the provider's own migrations (PostgreSQL's are those of <see cref="Data.Postgres.PostgresDbContext"/>).</summary>
    private AppDbContext MigrationContext() => _database.Postgres
        ? new Data.Postgres.PostgresDbContext(Data.Postgres.PostgresDbContext.Options(_database.ConnectionString))
        : _database.OpenContext();

    /// <summary>Each run's steps as the run store reads them, and its export, as JSON.</summary>
    private static async Task<string> ReadAsync(StoreHost host, string owner, List<string> runs)
    {
        var read = new List<object?>();
        foreach (var run in runs)
        {
            var details = await host.GetRunAsync(owner, run);
            read.Add(details.Steps.Select(s => new { s.StepId, s.Index, s.Status, s.Output, s.Error, s.Attempts, s.StartedAt, s.FinishedAt }));
            read.Add((await host.InScope<RunStore, System.Text.Json.Nodes.JsonObject?>(store => store.ExportAsync(owner, run, CancellationToken.None)))?.ToJsonString());
        }
        return JsonSerializer.Serialize(read);
    }

    /// <summary>
    /// The tables the migration replaces, their indexes and triggers, and the foreign keys that name them (SQLite: as
    /// stored; PostgreSQL: the catalog's definitions).
    /// </summary>
    private async Task<List<string>> SchemaAsync(StoreHost host) => await host.WithDbAsync(async db =>
    {
        if (_database.Postgres)
        {
            return await db.Database.SqlQuery<string>(
                $"""
                SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS "Value" FROM pg_constraint
                WHERE conrelid IN ('runs'::regclass, 'run_steps'::regclass) OR confrelid = 'runs'::regclass
                UNION ALL SELECT indexdef FROM pg_indexes WHERE tablename IN ('runs', 'run_steps')
                UNION ALL SELECT tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'runs'::regclass AND NOT tgisinternal
                ORDER BY 1
                """).ToListAsync();
        }
        var schema = await db.Database.SqlQuery<string>(
            $"""
            SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS "Value" FROM sqlite_master
            WHERE tbl_name IN ('runs', 'run_steps') ORDER BY type, name
            """).ToListAsync();
        // the other tables' foreign keys on runs, and none broken
        foreach (var table in new[] { "run_waits", "run_step_items", "run_step_entries", "run_steps" })
        {
            schema.AddRange(await db.Database.SqlQuery<string>(
                $"""SELECT {table} || ' ' || "table" || ' ' || "from" || ' ' || "to" || ' ' || on_delete AS "Value" FROM pragma_foreign_key_list({table})""").ToListAsync());
        }
        Assert.Empty(await db.Database.SqlQuery<string>($"""SELECT "table" AS "Value" FROM pragma_foreign_key_check""").ToListAsync());
        Assert.Contains(schema, s => s.StartsWith("table runs ", StringComparison.Ordinal) && s.Contains("\"key\" INTEGER NOT NULL CONSTRAINT \"PK_runs\" PRIMARY KEY AUTOINCREMENT", StringComparison.Ordinal));
        Assert.Contains(schema, s => s.StartsWith("index IX_runs_queued ", StringComparison.Ordinal) && s.EndsWith("WHERE status = 'queued'", StringComparison.Ordinal));
        Assert.Equal(4, schema.Count(s => s.StartsWith("trigger run_counts_", StringComparison.Ordinal)));
        Assert.Contains("run_steps runs run_key key CASCADE", schema);
        Assert.Contains("run_waits runs run_id id CASCADE", schema);
        return schema;
    });
}
