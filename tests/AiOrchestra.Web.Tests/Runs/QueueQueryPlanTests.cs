using System.Text.RegularExpressions;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.Runs;

/// <summary>
/// The run writer's statements (the claim, recovery, lease renewal, waits) read runs by id or through the queue's
/// partial indexes, never through an index that holds every stored run: those cost a little more with every run kept.
/// The claim's recovery select once searched the (parent_run_id, child_key) index for parent_run_id IS NULL, the
/// whole history, and took ~25 ms per claim at 60,000 runs.
/// </summary>
[Trait("Provider", "sqlite")] // SQLite's query planner; PostgreSQL's claim is one statement of its own (PostgresSql)
public sealed partial class QueueQueryPlanTests : IDisposable
{
    private readonly TempDatabase _database = new(sqliteOnly: true);

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Every_statement_of_the_run_writer_finds_runs_by_id_or_through_a_queue_index()
    {
        await using var host = new StoreHost(_database, new FakeSteps());
        await host.CreateUserAsync("planner"); // the app has migrated the file

        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync();
        using var sql = new RunSql(connection, AiOrchestra.Web.Data.Sqlite.SqliteSql.Instance);
        var wrong = new List<string>();
        var read = 0;
        foreach (var text in sql.Texts)
        {
            await using var explain = connection.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + text;
            foreach (var name in Parameter().Matches(text).Select(m => m.Value).Distinct())
            {
                explain.Parameters.AddWithValue(name, DBNull.Value);
            }
            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var detail = reader.GetString(3);
                var words = detail.Split(' ');
                if (words is ["SCAN" or "SEARCH", "runs" or "r", ..])
                {
                    read++;
                    if (!detail.Contains("(id=?)", StringComparison.Ordinal) && !detail.Contains("IX_runs_queued", StringComparison.Ordinal)
                        && !detail.Contains("IX_runs_running", StringComparison.Ordinal))
                    {
                        wrong.Add($"{detail}  <-  {text}");
                    }
                }
            }
        }

        Assert.True(read > 10, $"only {read} reads of runs were planned");
        Assert.Empty(wrong);
    }

    [Fact]
    public async Task A_runs_current_version_is_found_by_the_workflows_owner_and_id_index_and_the_versions_number_index()
    {
        await using var host = new StoreHost(_database, new FakeSteps());
        await host.CreateUserAsync("planner");

        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + CurrentVersions.Sql;
        explain.Parameters.AddWithValue("@owner", "o");
        explain.Parameters.AddWithValue("@workflow", "w");
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Equal(2, plan.Count);
        Assert.Contains(plan, p => p.StartsWith("SEARCH w USING INDEX IX_workflows_owner_id_workflow_id (owner_id=? AND workflow_id=?)", StringComparison.Ordinal));
        Assert.Contains(plan, p => p.StartsWith("SEARCH v USING ", StringComparison.Ordinal) && p.Contains("IX_workflow_versions_workflow_record_id_number", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_runs_steps_are_read_through_its_id_and_then_its_key_each_one_index_seek()
    {
        await using var host = new StoreHost(_database, new FakeSteps());
        await host.CreateUserAsync("planner");

        await using var db = _database.OpenContext();
        var query = db.StepsOf("r").OrderBy(s => s.Index).ToQueryString();
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var explain = connection.CreateCommand();
        // the query as EF Core sends it; ToQueryString declares its parameter first (".param set"), set here instead
        explain.CommandText = "EXPLAIN QUERY PLAN " + string.Join('\n', query.Split('\n').Where(l => !l.StartsWith('.') && !l.StartsWith("--", StringComparison.Ordinal)));
        explain.Parameters.AddWithValue(Parameter().Match(query).Value, "r");
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Contains(plan, p => p.StartsWith("SEARCH r USING COVERING INDEX sqlite_autoindex_runs_1 (id=?)", StringComparison.Ordinal));
        Assert.Contains(plan, p => p.StartsWith("SEARCH r0 USING INDEX IX_run_steps_run_key_step_index (run_key=?)", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.StartsWith("SCAN", StringComparison.Ordinal) || p.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [GeneratedRegex("@[a-zA-Z_]+")]
    private static partial Regex Parameter();
}
