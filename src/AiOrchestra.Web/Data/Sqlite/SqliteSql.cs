using System.Text.Json;

namespace AiOrchestra.Web.Data.Sqlite;

/// <summary>
/// SQLite's own SQL: the file and connection settings (see <see cref="SqlitePragmas"/>), json_each for id lists,
/// rowid for the order accounts were created in. The run claim is plain SQL in Runs/RunSql: one process owns the
/// file, so a select and an update in the writer's transaction are the claim.
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

    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    // Identity's ids are random: SQLite's rowid keeps the order the accounts were created in
    public override string FirstUserId => "SELECT Id AS Value FROM AspNetUsers ORDER BY rowid LIMIT 1";

    public override string DeleteFinishedRuns(string finishedStatuses) =>
        $"DELETE FROM runs WHERE id IN (SELECT value FROM json_each(@ids)) AND status IN ({finishedStatuses})";

    public override string NowMilliseconds => "(unixepoch() * 1000)";

    public override object IdList(IReadOnlyList<string> ids) => JsonSerializer.Serialize(ids);
}
