using System.Collections.Concurrent;
using System.Data.Common;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>The version a new run of a workflow runs: its id, its workflow's record id and its number.</summary>
internal sealed record CurrentVersion(long VersionId, long RecordId, int Number);

/// <summary>
/// Finds the current version of an owner's workflow for every run started, with one SQL statement on a connection kept
/// open for it. Through EF each lookup rented a context, opened a connection (SQLite registering EF's functions on it
/// again) and ran the query pipeline; here the statement is prepared once per connection. Not cached: several processes
/// may share one database (PostgreSQL), and a saved version is used by the next run.
/// </summary>
public sealed class CurrentVersions(IDbContextFactory<AppDbContext> dbs, StoreSql provider) : IDisposable
{
    internal const string Sql =
        """
        SELECT v.id, v.workflow_record_id, v.number
        FROM workflows w JOIN workflow_versions v ON v.workflow_record_id = w.id AND v.number = w.current_version
        WHERE w.owner_id = @owner AND w.workflow_id = @workflow AND w.deleted_at IS NULL
        LIMIT 1
        """;

    // about the requests that start runs at once on 2 cores; a burst beyond it opens and closes a connection per call
    private const int MaxIdle = 16;

    private readonly ConcurrentBag<Lookup> _idle = [];
    private string? _connectionString;

    internal async Task<CurrentVersion?> FindAsync(string ownerId, string workflowId, CancellationToken cancellationToken)
    {
        if (_idle.TryTake(out var idle))
        {
            try
            {
                return Keep(idle, await idle.FindAsync(ownerId, workflowId, cancellationToken));
            }
            catch (DbException)
            {
                // a connection the server dropped while it was idle (a PostgreSQL restart): the others may be too; try a new one
                idle.Dispose();
                while (_idle.TryTake(out var other))
                {
                    other.Dispose();
                }
            }
            catch
            {
                idle.Dispose();
                throw;
            }
        }
        var lookup = await OpenAsync(cancellationToken);
        try
        {
            return Keep(lookup, await lookup.FindAsync(ownerId, workflowId, cancellationToken));
        }
        catch
        {
            lookup.Dispose();
            throw;
        }
    }

    private CurrentVersion? Keep(Lookup lookup, CurrentVersion? found)
    {
        if (_idle.Count < MaxIdle)
        {
            _idle.Add(lookup);
        }
        else
        {
            lookup.Dispose();
        }
        return found;
    }

    private async Task<Lookup> OpenAsync(CancellationToken cancellationToken)
    {
        if (_connectionString is null)
        {
            await using var db = await dbs.CreateDbContextAsync(cancellationToken);
            _connectionString = db.Database.GetConnectionString()!;
        }
        DbConnection connection = provider.Provider == DatabaseProvider.Postgres
            ? new Npgsql.NpgsqlConnection(_connectionString)
            : new Microsoft.Data.Sqlite.SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (provider.Provider == DatabaseProvider.Sqlite)
            {
                // a reader never waits on the writer in WAL mode, but a checkpoint's brief lock must not fail a run's start
                await using var pragmas = connection.CreateCommand();
                pragmas.CommandText = SqlitePragmas.Sql;
                await pragmas.ExecuteNonQueryAsync(cancellationToken);
            }
            return new Lookup(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var lookup))
        {
            lookup.Dispose();
        }
    }

    /// <summary>One open connection and its statement; used by one call at a time.</summary>
    private sealed class Lookup : IDisposable
    {
        private readonly DbConnection _connection;
        private readonly DbCommand _command;
        private readonly DbParameter _owner;
        private readonly DbParameter _workflow;

        public Lookup(DbConnection connection)
        {
            _connection = connection;
            _command = connection.CreateCommand();
            _command.CommandText = Sql;
            _owner = StoreSql.Parameter(_command, "@owner", "");
            _workflow = StoreSql.Parameter(_command, "@workflow", "");
        }

        internal async Task<CurrentVersion?> FindAsync(string ownerId, string workflowId, CancellationToken cancellationToken)
        {
            _owner.Value = ownerId;
            _workflow.Value = workflowId;
            await using var reader = await _command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new CurrentVersion(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2))
                : null;
        }

        public void Dispose()
        {
            _command.Dispose();
            _connection.Dispose();
        }
    }
}
