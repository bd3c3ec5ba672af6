using AiOrchestra.Web.Runs;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AiOrchestra.Web.Data.Postgres;

/// <summary>
/// PostgreSQL's LISTEN/NOTIFY between the processes on one database: a cancel asked for on one process reaches the
/// process that runs the run, which aborts the step in flight (the <c>cancel_requested</c> flag in the row stays the
/// record, read when a run is claimed). A dropped connection is opened again a second later; a cancel sent meanwhile
/// (or before the first LISTEN) is not heard, so once listening the process reads the flag of the runs executing here
/// (one query) and aborts those it finds set (a failed read counts as a failed LISTEN: tried again a second later).
/// </summary>
internal sealed class PostgresNotifications(
    IDbContextFactory<AppDbContext> dbs, RunCancellations cancellations, ILogger<PostgresNotifications> log) : BackgroundService
{
    public const string CancelChannel = "aiorchestra_cancel";

    /// <summary>Tells every process that <paramref name="runId"/> is to be cancelled; the one running it does so.</summary>
    public async Task CancelAsync(string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({CancelChannel}, {runId})", cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string connectionString;
        await using (var db = await dbs.CreateDbContextAsync(stoppingToken))
        {
            connectionString = db.Database.GetConnectionString()!;
        }
        // named, so an operator (or a test) can tell this process's listening session in pg_stat_activity
        connectionString = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = ListenerName(Environment.ProcessId) }.ToString();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == CancelChannel)
                    {
                        cancellations.CancelIfRunningHere(e.Payload);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {CancelChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // a cancel sent before this LISTEN (the connection was down, or not yet up when a run started here) was not heard
                await CancelMissedAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning("Listening for other processes' cancels failed ({Reason}); listening again in a second", e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The <c>application_name</c> of a process's session listening for cancels.</summary>
    internal static string ListenerName(int processId) => $"aiorchestra cancels {processId}";

    /// <summary>Listening (again): a run executing here whose cancel was sent while nobody listened is cancelled now.</summary>
    private async Task CancelMissedAsync(CancellationToken cancellationToken)
    {
        var running = cancellations.RunningHere();
        if (running.Count == 0)
        {
            return;
        }
        // a failed read (a pooled connection the database's restart broke) fails the listening, tried again a second later
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var cancelled = await db.Runs.AsNoTracking()
            .Where(r => running.Contains(r.Id) && r.CancelRequested)
            .Select(r => r.Id)
            .ToListAsync(cancellationToken);
        foreach (var runId in cancelled)
        {
            cancellations.CancelIfRunningHere(runId);
        }
    }
}
