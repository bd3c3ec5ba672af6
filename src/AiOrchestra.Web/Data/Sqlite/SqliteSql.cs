using System.Text.Json;

namespace AiOrchestra.Web.Data.Sqlite;

/// <summary>
/// SQLite's own SQL: the file and connection settings (see <see cref="SqlitePragmas"/>), the run claim's selects
/// (one process owns the file, so a select and an update in the writer's transaction are the claim), json_each for
/// id lists, rowid for the order accounts were created in.
/// </summary>
public sealed class SqliteSql : StoreSql
{
    public static readonly SqliteSql Instance = new();

    private SqliteSql()
    {
    }

    /// <summary>The write-ahead log (readers never block the writer): a property of the file, set once at start-up.</summary>
    public const string DatabasePragmas = "PRAGMA journal_mode=WAL;";

    /// <summary>Every connection: fsync only at checkpoints, wait on a busy lock instead of failing, enforce foreign keys.</summary>
    public const string ConnectionPragmas = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;";

    private const string ClaimColumns = "SELECT id, owner_id, workflow_version_id, inputs, status, cancel_requested FROM runs";

    public const string SelectQueued = $"{ClaimColumns} WHERE status = 'queued' ORDER BY id LIMIT @limit";

    /// <summary>Queued runs except those of the owners in <c>@owners</c> (a JSON array).</summary>
    public const string SelectQueuedExcept =
        $"{ClaimColumns} WHERE status = 'queued' AND owner_id NOT IN (SELECT value FROM json_each(@owners)) ORDER BY id LIMIT @limit";

    public const string SelectRunningForeign =
        $"{ClaimColumns} WHERE status = 'running' AND (lease_owner IS NULL OR lease_owner <> @worker) ORDER BY id LIMIT @limit";

    public const string SelectRunningExpired =
        $"{ClaimColumns} WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < @now) ORDER BY id LIMIT @limit";

    public const string ClaimById =
        """
        UPDATE runs SET status = 'running', lease_owner = @worker, lease_expires_at = @until,
                        started_at = COALESCE(started_at, @now)
        WHERE id = @id
        """;

    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    // Identity's ids are random: SQLite's rowid keeps the order the accounts were created in
    public override string FirstUserId => "SELECT Id AS Value FROM AspNetUsers ORDER BY rowid LIMIT 1";

    public override string DeleteFinishedRuns(string finishedStatuses) =>
        $"DELETE FROM runs WHERE id IN (SELECT value FROM json_each(@ids)) AND status IN ({finishedStatuses})";

    public override object IdList(IReadOnlyList<string> ids) => JsonSerializer.Serialize(ids);
}
