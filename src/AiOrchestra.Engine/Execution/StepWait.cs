using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Execution;

/// <summary>What a waiting step waits for: a person's answer (<see cref="WaitKind.Approval"/>) or a point in time.</summary>
public enum WaitKind
{
    /// <summary>An approval: approved or rejected by a person, or timed out at <see cref="StepWait.DueAt"/>.</summary>
    Approval,

    /// <summary>A wait step: done at <see cref="StepWait.DueAt"/>.</summary>
    Time,
}

/// <summary>
/// A step that waits outside the run. The run is paused: it leaves the worker (holding no slot) and the wait is kept
/// by the host, which resumes the run after the step once the wait is answered or due.
/// </summary>
public sealed record StepWait(WaitKind Kind, DateTimeOffset DueAt, string? Message = null);

/// <summary>
/// A step type whose step waits instead of doing work (<c>approval</c>, <c>wait</c>). The executor asks it what to
/// wait for and pauses the run; the step's result is written later by whoever ends the wait.
/// </summary>
public interface IWaitingStepType : IStepType
{
    /// <summary>
    /// What the step waits for, from its rendered parameters, or null when there is nothing to wait for (a time that
    /// has passed). Throw <see cref="StepFailedException"/> for a parameter a person must fix.
    /// </summary>
    StepWait? Begin(StepCall call, DateTimeOffset now);
}

/// <summary>The output of an answered approval: <c>{approved, by, comment, at}</c>.</summary>
public static class ApprovalOutput
{
    public static JsonObject Create(bool approved, string by, string? comment, DateTimeOffset at) => new()
    {
        ["approved"] = approved,
        ["by"] = by,
        ["comment"] = comment,
        ["at"] = at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
    };
}
