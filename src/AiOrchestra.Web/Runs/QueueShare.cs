using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiOrchestra.Web.Runs;

/// <summary>This process's name in the runs' <c>lease_owner</c> column: machine, process id and a random part.</summary>
public sealed class WorkerName
{
    public string Value { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
}

/// <summary>
/// <c>/health</c>'s <c>queue</c> on PostgreSQL: the runs running on this process beside all running (its share of the
/// work), and the runs queued, so a load balancer or a person sees whether the processes share the queue.
/// </summary>
internal sealed class QueueShare(IDbContextFactory<AppDbContext> dbs, WorkerName worker) : IHealthCheck
{
    public const string Name = "queue";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var running = await db.Runs.Where(r => r.Status == RunStatus.Running).CountAsync(cancellationToken);
        var here = await db.Runs.Where(r => r.Status == RunStatus.Running && r.LeaseOwner == worker.Value).CountAsync(cancellationToken);
        var queued = await db.Runs.Where(r => r.Status == RunStatus.Queued).CountAsync(cancellationToken);
        return HealthCheckResult.Healthy(data: new Dictionary<string, object>
        {
            ["worker"] = worker.Value,
            ["running_here"] = here,
            ["running"] = running,
            ["queued"] = queued,
            ["share"] = running == 0 ? 0.0 : Math.Round((double)here / running, 3),
        });
    }
}
