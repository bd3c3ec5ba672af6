using AiOrchestra.Web.Runs;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AiOrchestra.Web.Data.Postgres;

/// <summary>
/// PostgreSQL's LISTEN/NOTIFY between the processes on one database: a cancel asked for on one process reaches the
/// process that runs the run, which aborts the step in flight (the <c>cancel_requested</c> flag in the row stays the
/// record, read when a run is claimed). A dropped connection is opened again; what was sent meanwhile is still in the
/// row, and the run's next claim or its end reads it.
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
}
