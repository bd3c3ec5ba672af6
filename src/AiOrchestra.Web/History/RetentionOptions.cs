using System.ComponentModel.DataAnnotations;

namespace AiOrchestra.Web.History;

/// <summary>
/// The <c>Retention</c> section: how much finished run history the instance keeps. Runs still queued or running are
/// never deleted. Zero or a negative number is refused at start-up: turning retention off is not a value of these.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Days a finished run is kept after it finished (<c>Retention__Days</c>).</summary>
    [Range(1, 36_500, ErrorMessage = "Retention:Days must be a whole number of days from 1 to 36500 (how long finished runs are kept); 0 or a negative number is not allowed.")]
    public int Days { get; set; } = 30;

    /// <summary>Runs kept at most, newest first; older finished runs beyond it are deleted (<c>Retention__MaxRuns</c>).</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Retention:MaxRuns must be 1 or more (the newest runs kept); 0 or a negative number is not allowed.")]
    public int MaxRuns { get; set; } = 100_000;

    /// <summary>Days a failed run is kept instead of <see cref="Days"/>; unset keeps failed runs as long as the others.</summary>
    [Range(1, 36_500, ErrorMessage = "Retention:FailedDays must be a whole number of days from 1 to 36500 (how long failed runs are kept); 0 or a negative number is not allowed. Leave it unset to keep failed runs as long as the others.")]
    public int? FailedDays { get; set; }

    /// <summary>Minutes between two clean-ups (<c>Retention__IntervalMinutes</c>).</summary>
    [Range(1, 1440, ErrorMessage = "Retention:IntervalMinutes must be from 1 to 1440 (minutes between two clean-ups of the run history).")]
    public int IntervalMinutes { get; set; } = 10;

    /// <summary>The most one step's stored output may take; a larger one is cut with a marker (<c>Retention__MaxOutputBytes</c>).</summary>
    [Range(1024, long.MaxValue, ErrorMessage = "Retention:MaxOutputBytes must be 1024 or more (bytes of one step's output that are stored; the rest is cut).")]
    public long MaxOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Days an audit entry is kept (<c>Retention__AuditDays</c>). The database refuses to delete an entry younger than
    /// <see cref="AuditFloorDays"/> whatever this says, so the minimum is that floor.
    /// </summary>
    [Range(AuditFloorDays, 36_500, ErrorMessage = "Retention:AuditDays must be a whole number of days from 90 to 36500 (how long audit entries are kept); 0 or a negative number is not allowed, and no entry younger than 90 days can be deleted.")]
    public int AuditDays { get; set; } = 365;

    /// <summary>The age under which the database's trigger refuses to delete an audit entry (migration AuditRetention).</summary>
    public const int AuditFloorDays = 90;

    public int FailedDaysOrDays => FailedDays ?? Days;
}
