using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.History;

/// <summary>
/// One clean-up of the run history under <see cref="RetentionOptions"/>: finished runs older than their days, then
/// finished runs beyond the newest <c>MaxRuns</c>, with their steps; then the file is shrunk. Each batch is read
/// first (readers never block the run writer) and deleted in its own short transaction, with a pause in between,
/// so runs keep being written while a large backlog goes.
/// </summary>
internal sealed class HistoryPruner(
    IDbContextFactory<AppDbContext> contexts, StoreSql sql, IOptions<RetentionOptions> options, Metrics.OperationMetrics metrics, TimeProvider time, ILogger<HistoryPruner> log)
{
    internal const int BatchSize = 500;

    // not a schedule: room for the run writer to take the write lock between two batches. A writer that found the lock
    // taken sleeps in SQLite's busy handler (up to 100 ms at a time), so a fixed short pause let the next batch take
    // the lock again before it woke: the pause is as long as the batch took, leaving runs at least half the writes.
    private static readonly TimeSpan MinimumPause = TimeSpan.FromMilliseconds(5);

    private const string Finished = "'succeeded', 'failed', 'cancelled'";

    /// <summary>Deletes what retention allows and returns how many runs went.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var retention = options.Value;
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();

        var deleted = 0;
        foreach (var (status, days) in new[] { ("succeeded", retention.Days), ("cancelled", retention.Days), ("failed", retention.FailedDaysOrDays) })
        {
            var cutoff = now.AddDays(-days);
            if (cutoff <= DateTimeOffset.UnixEpoch)
            {
                continue;
            }
            // Run ids are version-7 GUIDs, which sort by creation time: the id bound keeps the scan to runs created
            // before the cutoff (the status index is in id order) instead of every run of the status. Workflows with
            // days of their own are cleaned up below.
            var createdBefore = Guid.CreateVersion7(cutoff).ToString()[..13];
            deleted += await DeleteAllAsync(connection,
                $"SELECT id FROM runs WHERE status = @status AND id < @before AND finished_at < @cutoff AND NOT EXISTS ({OwnDays}) ORDER BY id LIMIT @batch",
                [("@status", status), ("@before", createdBefore), ("@cutoff", cutoff.ToUnixTimeMilliseconds())], cancellationToken);
        }

        var overrides = await db.WorkflowRetentions.AsNoTracking().ToListAsync(cancellationToken);
        foreach (var own in overrides)
        {
            deleted += await PruneWorkflowAsync(connection, own, retention, now, cancellationToken);
        }

        var oldestKept = await SelectNewestBeyondAsync(connection, retention.MaxRuns, cancellationToken);
        if (oldestKept is not null)
        {
            deleted += await DeleteAllAsync(connection,
                $"SELECT id FROM runs WHERE id <= @boundary AND status IN ({Finished}) ORDER BY id LIMIT @batch",
                [("@boundary", oldestKept)], cancellationToken);
        }

        await DeleteOldAlertsAsync(connection, now.AddDays(-retention.FailedDaysOrDays), cancellationToken);
        await DeleteOldAuditEntriesAsync(connection, now.AddDays(-retention.AuditDays), cancellationToken);

        if (deleted > 0)
        {
            metrics.RetentionDeleted(deleted);
            if (sql.Provider == DatabaseProvider.Sqlite)
            {
                // PostgreSQL's autovacuum reuses the space on its own
                await DatabaseFile.ShrinkAsync(connection, cancellationToken);
            }
            log.LogInformation("Retention deleted {Runs} finished run(s) and their steps", deleted);
        }
        return deleted;
    }

    /// <summary>The alert history goes with the runs it was about: delivered or given-up alerts older than the days kept.</summary>
    private static async Task DeleteOldAlertsAsync(DbConnection connection, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM alert_events WHERE created_at < @cutoff AND status <> 'pending'";
        Add(command, "@cutoff", cutoff.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Audit entries past their days, in batches: scripts that start runs through the API add one entry per run, so the
    /// log would otherwise grow without bound. The database refuses younger entries (trigger audit_entries_no_delete).
    /// </summary>
    private async Task DeleteOldAuditEntriesAsync(DbConnection connection, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var command = connection.CreateCommand();
            // the second bound is the trigger's own, on the database's clock, so a skewed app clock cannot make it refuse
            command.CommandText = $"""
                DELETE FROM audit_entries WHERE id IN (SELECT id FROM audit_entries
                    WHERE at < @cutoff AND at < {sql.NowMilliseconds} - {RetentionOptions.AuditFloorDays * 86_400_000L} ORDER BY at LIMIT @batch)
                """;
            Add(command, "@cutoff", cutoff.ToUnixTimeMilliseconds());
            Add(command, "@batch", BatchSize);
            if (await command.ExecuteNonQueryAsync(cancellationToken) < BatchSize)
            {
                return;
            }
            await Task.Delay(MinimumPause, cancellationToken);
        }
    }

    // a workflow whose own retention sets days: its runs are not aged by the instance's days
    private const string OwnDays =
        "SELECT 1 FROM workflow_retention w WHERE w.owner_id = runs.owner_id AND w.workflow_id = runs.workflow_id AND (w.days IS NOT NULL OR w.failed_days IS NOT NULL)";

    /// <summary>One workflow's own days and newest runs kept, read along its (owner, workflow, created_at) index.</summary>
    private async Task<int> PruneWorkflowAsync(
        DbConnection connection, WorkflowRetention own, RetentionOptions global, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var deleted = 0;
        (string, object)[] workflow = [("@owner", own.OwnerId), ("@workflow", own.WorkflowId)];
        if (own.Days is not null || own.FailedDays is not null)
        {
            foreach (var (status, days) in new[] { ("succeeded", own.DaysOr(global)), ("cancelled", own.DaysOr(global)), ("failed", own.FailedDaysOr(global)) })
            {
                // a run finishes after it was created: both bounds hold, and created_at bounds the index scan
                var cutoff = now.AddDays(-days).ToUnixTimeMilliseconds();
                deleted += await DeleteAllAsync(connection,
                    "SELECT id FROM runs WHERE owner_id = @owner AND workflow_id = @workflow AND created_at < @cutoff AND status = @status AND finished_at < @cutoff ORDER BY created_at LIMIT @batch",
                    [.. workflow, ("@status", status), ("@cutoff", cutoff)], cancellationToken);
            }
        }
        if (own.MaxRuns is { } keep)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT created_at, id FROM runs WHERE owner_id = @owner AND workflow_id = @workflow ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET @keep";
            Add(command, "@owner", own.OwnerId);
            Add(command, "@workflow", own.WorkflowId);
            Add(command, "@keep", keep);
            long? createdAt = null;
            string? id = null;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    (createdAt, id) = (reader.GetInt64(0), reader.GetString(1));
                }
            }
            if (createdAt is not null)
            {
                deleted += await DeleteAllAsync(connection,
                    $"SELECT id FROM runs WHERE owner_id = @owner AND workflow_id = @workflow AND (created_at < @created OR (created_at = @created AND id <= @id)) AND status IN ({Finished}) ORDER BY created_at LIMIT @batch",
                    [.. workflow, ("@created", createdAt), ("@id", id!)], cancellationToken);
            }
        }
        return deleted;
    }

    /// <summary>The id of the newest run past the first <paramref name="keep"/> (newest first), or null when there are fewer.</summary>
    private static async Task<string?> SelectNewestBeyondAsync(DbConnection connection, int keep, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET @keep";
        Add(command, "@keep", keep);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private async Task<int> DeleteAllAsync(DbConnection connection, string select, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        var deleted = 0;
        while (true)
        {
            var ids = new List<string>(BatchSize);
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = select;
                foreach (var (name, value) in parameters)
                {
                    Add(command, name, value);
                }
                Add(command, "@batch", BatchSize);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    ids.Add(reader.GetString(0));
                }
            }
            if (ids.Count == 0)
            {
                return deleted;
            }
            var began = Stopwatch.GetTimestamp();
            deleted += await DeleteAsync(connection, ids, cancellationToken);
            if (ids.Count < BatchSize)
            {
                return deleted;
            }
            var took = Stopwatch.GetElapsedTime(began);
            await Task.Delay(took > MinimumPause ? took : MinimumPause, cancellationToken);
        }
    }

    private async Task<int> DeleteAsync(DbConnection connection, List<string> ids, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        // steps go by the foreign key's cascade; the status is checked again in case a run was resumed since it was read
        command.CommandText = sql.DeleteFinishedRuns(Finished);
        Add(command, "@ids", sql.IdList(ids));
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
