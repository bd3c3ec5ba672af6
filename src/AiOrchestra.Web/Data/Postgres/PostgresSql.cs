using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace AiOrchestra.Web.Data.Postgres;

/// <summary>
/// PostgreSQL's own SQL. Several processes share the database, so a claim is one statement that locks the rows it
/// takes (<c>FOR UPDATE SKIP LOCKED</c>: two processes never take the same run, and neither waits for the other), and
/// start-up's migration and first-run setup hold an advisory lock.
/// </summary>
public sealed class PostgresSql : StoreSql
{
    public static readonly PostgresSql Instance = new();

    private PostgresSql()
    {
    }

    /// <summary>The advisory lock key start-up holds while it migrates and creates the administrator ('AIOR').</summary>
    public const long StartupLock = 0x41494F52;

    // the columns of Runs/RunSql's claim: a run is resumed (starts with finished steps recorded) when it ran before,
    // resumes a failed run, or is a test run with pinned steps; @resumed is that, read before the update changes it
    private const string Returning =
        "RETURNING runs.id, runs.owner_id, runs.workflow_version_id, runs.inputs, {0}, runs.cancel_requested, runs.trace_parent";

    /// <summary>
    /// Claims up to <c>@limit</c> queued runs in the order they were enqueued: none of the owners in <c>@full</c>, and
    /// for the owners in <c>@held_owners</c> only as many as <c>@per_owner</c> leaves beside the runs they hold
    /// (<c>@held_counts</c>). Rows another process is claiming are skipped, not waited for.
    /// </summary>
    public static readonly string ClaimQueued =
        """
        WITH locked AS (
            SELECT id, owner_id, started_at IS NOT NULL OR resumed_from_run_id IS NOT NULL OR origin = 'test' AS resumed FROM runs
            WHERE status = 'queued' AND owner_id <> ALL(@full)
            ORDER BY id LIMIT @limit
            FOR UPDATE SKIP LOCKED),
        picked AS (
            SELECT id, resumed FROM (
                SELECT locked.id, locked.resumed,
                       row_number() OVER (PARTITION BY locked.owner_id ORDER BY locked.id) + COALESCE(held.count, 0) AS slot
                FROM locked LEFT JOIN unnest(@held_owners::text[], @held_counts::integer[]) AS held(owner_id, count)
                    ON held.owner_id = locked.owner_id) AS ranked
            WHERE slot <= @per_owner)
        UPDATE runs SET status = 'running', lease_owner = @worker, lease_expires_at = @until,
                        started_at = COALESCE(runs.started_at, @now)
        FROM picked WHERE runs.id = picked.id
        """ + "\n" + string.Format(Returning, "picked.resumed");

    /// <summary>
    /// Takes over up to <c>@limit</c> running runs whose lease ran out (their process died or lost the database). Child
    /// runs are not taken: whoever takes over their parent takes them (see ChildRuns).
    /// </summary>
    public static readonly string TakeOverExpired =
        """
        UPDATE runs SET lease_owner = @worker, lease_expires_at = @until
        WHERE id IN (
            SELECT id FROM runs
            WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < @now) AND parent_run_id IS NULL
            ORDER BY id LIMIT @limit
            FOR UPDATE SKIP LOCKED)
        """ + "\n" + string.Format(Returning, "TRUE");

    public const string DatabaseSize = """SELECT pg_database_size(current_database()) AS "Value" """;

    public override Task SerializeAsync(DatabaseFacade database, string key, CancellationToken cancellationToken) =>
        database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({key}))", cancellationToken);

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    // PostgreSQL has no rowid: the row written by the oldest transaction (xmin) stands for the first account created.
    // Rewriting that account's row (a password change) moves it on; with one account, as today, it makes no difference.
    public override string FirstUserId => """SELECT "Id" AS "Value" FROM "AspNetUsers" ORDER BY xmin::text::bigint LIMIT 1""";

    public override string DeleteFinishedRuns(string finishedStatuses) =>
        $"DELETE FROM runs WHERE id = ANY(@ids) AND status IN ({finishedStatuses})";

    public override string NowMilliseconds => "(extract(epoch FROM now())::bigint * 1000)";

    public override object IdList(IReadOnlyList<string> ids) => ids.ToArray();
}
