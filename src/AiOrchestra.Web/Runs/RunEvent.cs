using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// One thing that happened in a run, as subscribers see it. <see cref="Sequence"/> is the SSE event id: a client
/// reconnecting with Last-Event-ID gets what came after it.
/// </summary>
public sealed record RunEvent
{
    // Ids number the run's events in the order they are sent, 1 for run-started, with no gaps (see RunFeed). Events
    // stored as they happen keep their number in the store, so a replay from it sends them with the same ids. A run
    // going on after a pause or a crash numbers its new events after a jump of ResumeGap: ids a client saw streamed
    // just before a crash (never stored) are not given to other events.

    /// <summary>How far a resumed run's numbering jumps past the ids it had stored.</summary>
    public const long ResumeGap = 1L << 20;

    /// <summary>A step's start or finish as subscribers see it, told from the one record every run view uses.</summary>
    public static RunEvent ForStep(string type, StepState step, DateTimeOffset timestamp, long sequence) => new()
    {
        RunId = step.RunId,
        Sequence = sequence,
        Type = type, Timestamp = timestamp, Status = step.Status, StepId = step.StepId, Index = step.Index, Attempt = step.Attempts,
        Output = step.Output, Error = step.Error, DurationMs = type == StepFinished ? step.DurationMs : null, Usage = step.Usage,
    };

    public const string RunStarted = "run-started";
    public const string StepStarted = "step-started";
    public const string StepDelta = "step-delta";
    public const string StepFinished = "step-finished";
    public const string StepEntry = "step-entry";
    public const string RunFinished = "run-finished";

    /// <summary>The run paused at an approval or wait step (status <c>waiting</c>); like run-finished it ends the stream.</summary>
    public const string RunWaiting = "run-waiting";

    /// <summary>A for_each step's progress: <see cref="ItemsDone"/> of <see cref="ItemsTotal"/> items (shares the step's started id).</summary>
    public const string LoopProgress = "loop-progress";

    public required string RunId { get; init; }
    public required long Sequence { get; init; }

    /// <summary>One of <see cref="RunStarted"/>, <see cref="StepStarted"/>, <see cref="StepDelta"/>, <see cref="StepEntry"/>, <see cref="LoopProgress"/>, <see cref="StepFinished"/>, <see cref="RunFinished"/>.</summary>
    public required string Type { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The run's status on run events, the step's on step events: <c>running</c>, <c>succeeded</c>, ...</summary>
    public string? Status { get; init; }

    public string? WorkflowId { get; init; }
    public string? StepId { get; init; }
    public int? Index { get; init; }
    public int? Attempt { get; init; }
    public JsonNode? Output { get; init; }

    /// <summary>
    /// Set when the stream left out an output larger than <c>Runs:MaxDisplayedOutputBytes</c>: its size, and where the
    /// full value is served. Absent otherwise.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? OutputBytes { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OutputUrl { get; init; }
    public string? Error { get; init; }
    public long? DurationMs { get; init; }
    public TokenUsage? Usage { get; init; }

    /// <summary>Streamed text of a step (LLM tokens) on <see cref="StepDelta"/>.</summary>
    public string? Delta { get; init; }

    /// <summary>
    /// A note the step recorded on <see cref="StepEntry"/>: an agent's model turn or tool call (<c>kind</c> <c>turn</c>
    /// or <c>tool</c>), with <see cref="Item"/> the for_each item it belongs to (-1 for none).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Entry { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Item { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ItemsDone { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ItemsTotal { get; init; }

    /// <summary>
    /// On run-finished, in the process that ran the run: the run and its steps as just stored, so a request waiting for
    /// it answers without reading them back. Null when only the store has them all (a resumed run); never sent.
    /// </summary>
    [JsonIgnore]
    public RunDetails? Stored { get; init; }
}
