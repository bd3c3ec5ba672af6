using System.Data.Common;

namespace AiOrchestra.Web.Data;

/// <summary>
/// The hand-written SQL that differs between the providers, one subclass per provider (<see cref="Sqlite.SqliteSql"/>,
/// <see cref="Postgres.PostgresSql"/>). Everything else is EF Core, or plain SQL that both read (see Runs/RunSql).
/// </summary>
public abstract class StoreSql
{
    public abstract DatabaseProvider Provider { get; }

    /// <summary>The id of the first account created (the administrator), or no row.</summary>
    public abstract string FirstUserId { get; }

    /// <summary>Deletes the finished runs among the ids in <c>@ids</c> (bound with <see cref="IdList"/>); steps go by cascade.</summary>
    public abstract string DeleteFinishedRuns(string finishedStatuses);

    /// <summary>The database's own clock in Unix milliseconds, as the audit log's delete trigger reads it.</summary>
    public abstract string NowMilliseconds { get; }

    /// <summary>The value of an <c>@ids</c> parameter.</summary>
    public abstract object IdList(IReadOnlyList<string> ids);

    /// <summary>
    /// Within a transaction, waits for other writers of <paramref name="key"/> (one workflow or prompt id) to commit, so
    /// reading the current version and writing the next cannot interleave. SQLite's single writer lock does that already.
    /// </summary>
    public virtual Task SerializeAsync(Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade database, string key, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    public static StoreSql For(DatabaseProvider provider) =>
        provider == DatabaseProvider.Postgres ? Postgres.PostgresSql.Instance : Sqlite.SqliteSql.Instance;

    internal static DbParameter Parameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
