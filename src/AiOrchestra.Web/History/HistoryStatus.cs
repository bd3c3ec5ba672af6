using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.History;

/// <summary>What Settings shows about the stored history.</summary>
public sealed record HistorySummary(long SizeBytes, long Runs, DateTimeOffset? OldestRun);

/// <summary>Reads the database's size on disk, the runs stored and when the oldest was created.</summary>
public sealed class HistoryStatus(IDbContextFactory<AppDbContext> contexts, StoreSql sql)
{
    public async Task<HistorySummary> ReadAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var runs = await Runs.RunFigures.CountAllAsync(db, cancellationToken);
        // run ids sort by creation time, so the first by id is the oldest (the primary key's index, no scan)
        var oldest = await db.Runs.OrderBy(r => r.Id).Select(r => (DateTimeOffset?)r.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        var size = sql.Provider == DatabaseProvider.Postgres
            ? await db.Database.SqlQueryRaw<long>(Data.Postgres.PostgresSql.DatabaseSize).SingleAsync(cancellationToken)
            : DatabaseFile.SizeOnDisk(db.Database.GetConnectionString());
        return new HistorySummary(size, runs, oldest);
    }

    /// <summary>On PostgreSQL, the pg_dump and pg_restore commands Settings shows instead of a download; null on SQLite.</summary>
    public Data.Postgres.PostgresBackupCommands? PostgresBackup()
    {
        if (sql.Provider != DatabaseProvider.Postgres)
        {
            return null;
        }
        using var db = contexts.CreateDbContext();
        return Data.Postgres.PostgresBackup.Commands(db.Database.GetConnectionString()!, "aiorchestra.dump");
    }

    /// <summary>1.5 MB, 320 KB, 12 bytes.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.0} KB",
        _ => $"{bytes} bytes",
    };
}
