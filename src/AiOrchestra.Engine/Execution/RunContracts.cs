using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Execution;

public enum StepStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,

    /// <summary>The step's <c>when</c> was false: it did not run, its output is null.</summary>
    Skipped,

    /// <summary>The step waits outside the run (an approval, a wait): the run is paused until it is answered or due.</summary>
    Waiting,
}

/// <summary>What one step did: written to the store as it finishes and returned in the run's result.</summary>
public sealed record StepRecord
{
    public required string StepId { get; init; }
    public required int Index { get; init; }
    public required StepStatus Status { get; init; }
    public JsonNode? Output { get; init; }
    public string? Error { get; init; }
    /// <summary>Calls the step made: each attempt counts its HTTP requests (retries of the HTTP pipeline included), at least one.</summary>
    public int Attempts { get; init; }
    public long DurationMs { get; init; }
    public TokenUsage? Usage { get; init; }

    /// <summary>The prompts the step rendered and its calls to a language model; null for steps that did neither.</summary>
    public StepLedger? Ledger { get; init; }

    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; init; }

    /// <summary>What a <see cref="StepStatus.Waiting"/> step waits for; null otherwise.</summary>
    public StepWait? Wait { get; init; }
}

/// <summary>Everything the executor needs to run (or resume) one run of a workflow.</summary>
public sealed record RunRequest
{
    public required string RunId { get; init; }
    public required string OwnerId { get; init; }
    public required Workflow Workflow { get; init; }

    /// <summary>The run's inputs; they override the workflow's default variables.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>
    /// Steps a previous attempt at this run already finished (after a crash): they are not called again,
    /// their outputs are bound as if they had just run.
    /// </summary>
    public IReadOnlyList<StepRecord> FinishedSteps { get; init; } = [];

    /// <summary>Items of for_each steps a previous attempt already finished: they are not called again.</summary>
    public IReadOnlyList<ItemRecord> FinishedItems { get; init; } = [];

    /// <summary>Notes steps wrote as they went (an agent's turns and tool calls): a resumed step continues after them.</summary>
    public IReadOnlyList<JournalEntry> JournalEntries { get; init; } = [];

    /// <summary>For a child run (a sub-workflow): the workflow ids of the runs above it, outermost first, its parent's last.</summary>
    public IReadOnlyList<string> Ancestors { get; init; } = [];
}

/// <summary>What one item of a for_each step did: written as it finishes, so a resumed loop starts after it.</summary>
public sealed record ItemRecord
{
    public required string StepId { get; init; }
    public required int StepIndex { get; init; }
    public required int ItemIndex { get; init; }
    public required StepStatus Status { get; init; }
    public JsonNode? Output { get; init; }
    public string? Error { get; init; }
    public int Attempts { get; init; }
    public long DurationMs { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; init; }
}

/// <summary>The run's outcome in the seed's shape: success, the outputs by step id, every error.</summary>
public sealed record WorkflowResult
{
    public required bool Success { get; init; }
    public bool Cancelled { get; init; }
    public required IReadOnlyDictionary<string, JsonNode?> Outputs { get; init; }
    public required IReadOnlyList<string> Errors { get; init; }
    public required IReadOnlyList<StepRecord> Steps { get; init; }

    /// <summary>
    /// The step the run paused at (an approval or a wait), with what it waits for; null when the run did not pause.
    /// A paused run is neither a success nor a failure: the host keeps the wait and resumes the run after the step.
    /// </summary>
    public StepRecord? Waiting { get; init; }
}

/// <summary>
/// Where the executor reports progress as it happens: the store writes it down and publishes it live;
/// the command line prints it. Finished steps are awaited so a crash never loses a finished step's output.
/// </summary>
public interface IRunJournal
{
    ValueTask StepStartedAsync(string stepId, int index, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken);

    ValueTask StepFinishedAsync(StepRecord step, CancellationToken cancellationToken);

    /// <summary>One item of a for_each step finished (succeeded or failed); awaited like a finished step.</summary>
    ValueTask ItemFinishedAsync(ItemRecord item, CancellationToken cancellationToken);

    /// <summary>Partial output of a step as it streams (LLM tokens).</summary>
    void StepDelta(string stepId, string text);

    /// <summary>A step wrote a note of its progress (an agent's turn or tool call); awaited like a finished step.</summary>
    ValueTask EntryRecordedAsync(JournalEntry entry, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// How far a for_each step is: <paramref name="done"/> of <paramref name="total"/> items finished (those a resumed run
    /// had finished included). Reported when the loop starts and after each item; for live views only, never awaited.
    /// </summary>
    void LoopProgress(string stepId, int index, int done, int total)
    {
    }
}
