using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// Runs another workflow of the same owner as a child run of a step: the <c>workflow</c> step type (and agent tools that
/// are workflows) call it. The host's implementation stores the child as a run of its own, linked to its parent; tests
/// use one in memory.
/// </summary>
public interface IChildRuns
{
    /// <summary>
    /// Runs (or, after a crash, resumes) the child <paramref name="request"/> names and returns its outcome. A child
    /// already started for the same parent step, item and call is never started again; a finished one is not run again.
    /// Throws only when <paramref name="cancellationToken"/> ends the wait.
    /// </summary>
    Task<ChildRunResult> RunAsync(ChildRun request, CancellationToken cancellationToken);
}

/// <summary>One child run a step asks for: which workflow with which inputs, and where in its parent it belongs.</summary>
public sealed record ChildRun
{
    public required string ParentRunId { get; init; }
    public required string OwnerId { get; init; }
    public required string ParentStepId { get; init; }
    public required int ParentStepIndex { get; init; }

    /// <summary>The for_each item the child belongs to; null outside a loop.</summary>
    public int? ItemIndex { get; init; }

    /// <summary>Which of several children one step (item) starts, e.g. an agent's tool calls in order; 0 for the only one.</summary>
    public int CallIndex { get; init; }

    public required string WorkflowId { get; init; }
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>The workflow ids of the runs above the child, outermost first, its parent's last: the depth and the cycle check read it.</summary>
    public required IReadOnlyList<string> Path { get; init; }

    /// <summary>
    /// The attempt of the parent step this child is for (1 for the first): a retry of a <c>workflow</c> step starts a
    /// fresh child instead of getting the failed one back.
    /// </summary>
    public int Attempt { get; init; } = 1;

    /// <summary>
    /// What identifies the child among its parent's children: the same whenever the parent is recovered after a crash
    /// (it replays its attempts in order, so a finished or running child is never started twice); a retry attempt has its own.
    /// </summary>
    public string Key =>
        $"{ParentStepIndex}/{ItemIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}/{CallIndex}"
        + (Attempt > 1 ? $"/{Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "");

    /// <summary>A child of the step <paramref name="context"/> belongs to.</summary>
    public static ChildRun For(StepContext context, string workflowId, IReadOnlyDictionary<string, JsonNode?> inputs, int callIndex = 0) => new()
    {
        ParentRunId = context.RunId,
        OwnerId = context.OwnerId,
        ParentStepId = context.StepId,
        ParentStepIndex = context.StepIndex,
        ItemIndex = context.ItemIndex,
        CallIndex = callIndex,
        WorkflowId = workflowId,
        Inputs = inputs,
        Path = [.. context.Ancestors, context.WorkflowId],
    };
}

/// <summary>
/// A child run's outcome: its run id (null when it could not be started), whether it succeeded, its outputs by step id
/// (the parent step's output) and otherwise why not; <paramref name="Cancelled"/> when it was cancelled rather than failed.
/// </summary>
public sealed record ChildRunResult(string? RunId, bool Succeeded, JsonObject? Outputs, string? Error, bool Cancelled = false);
