using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AiOrchestra.Web.Data;

/// <summary>
/// How many of an owner's (a project's) runs created on one day (UTC) finished with one status: Home's figures and chart, and the
/// runs Settings counts, read these few rows instead of counting every run. The database keeps them: triggers on
/// <c>runs</c> (see the RunCounts migration) count a run in the statement that finishes it, inserts it finished, moves
/// it to another owner or deletes it, so no writer (run worker, cancel, recovery, retention, import) can forget one.
/// Runs not finished yet are few and counted from the runs themselves, along their status index.
/// </summary>
public sealed class RunCount
{
    public required string OwnerId { get; set; }

    /// <summary>Days since 1970-01-01 of the runs' creation (<c>created_at / 86400000</c>).</summary>
    public long Day { get; set; }

    /// <summary>Succeeded, failed or cancelled.</summary>
    public RunStatus Status { get; set; }

    public long Runs { get; set; }

    internal sealed class Configuration : IEntityTypeConfiguration<RunCount>
    {
        public void Configure(EntityTypeBuilder<RunCount> entity)
        {
            entity.ToTable("run_counts");
            entity.HasKey(c => new { c.OwnerId, c.Day, c.Status });
        }
    }
}
