namespace AiOrchestra.Web.Data;

/// <summary>
/// Where a run is: <c>queued -> running -> succeeded | failed | cancelled</c>, and <c>running -> waiting -> queued</c>
/// while an approval or wait step waits (the run holds no worker then). Stored as the lower-case name.
/// </summary>
public enum RunStatus
{
    Queued,
    Running,
    Waiting,
    Succeeded,
    Failed,
    Cancelled,
}

public static class RunStatusExtensions
{
    public static bool IsFinished(this RunStatus status) => status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled;

    /// <summary>The stored and exported spelling: <c>queued</c>, <c>running</c>, ...</summary>
    public static string ToText(this RunStatus status) => status switch
    {
        RunStatus.Queued => "queued",
        RunStatus.Running => "running",
        RunStatus.Waiting => "waiting",
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
