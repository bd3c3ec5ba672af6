using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// One step of a run as every view of the run shows it: the run page's timeline row, the same row sent by the live
/// stream, the API's JSON and the exported log are all made from this record, so none of them can tell a step's
/// story differently.
/// </summary>
public sealed record StepState(string RunId, string StepId, int Index, string Status)
{
    public int Attempts { get; init; }

    /// <summary>All attempts together; meaningful once <see cref="FinishedAt"/> is set.</summary>
    public long DurationMs { get; init; }

    public JsonNode? Output { get; init; }
    public string? Error { get; init; }
    public int? PromptTokens { get; init; }
    public int? CompletionTokens { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>What the step rendered and asked a model (prompt versions, LLM calls, cost); null for other steps.</summary>
    public JsonNode? Ledger { get; init; }

    public bool Finished => FinishedAt is not null;

    public TokenUsage? Usage => PromptTokens is null && CompletionTokens is null ? null : new TokenUsage(PromptTokens ?? 0, CompletionTokens ?? 0);

    /// <summary>A step of the run's workflow version the run has not reached.</summary>
    public static StepState Pending(string runId, string stepId, int index) => new(runId, stepId, index, WorkflowResultJson.StatusName(StepStatus.Pending));

    /// <summary>A step as stored.</summary>
    public static StepState From(string runId, RunStep step) => new(runId, step.StepId, step.Index, WorkflowResultJson.StatusName(step.Status))
    {
        Attempts = step.Attempts,
        DurationMs = step.DurationMs,
        Output = step.Output is null ? null : JsonNode.Parse(step.Output),
        Error = step.Error,
        PromptTokens = step.PromptTokens,
        CompletionTokens = step.CompletionTokens,
        StartedAt = step.StartedAt,
        FinishedAt = step.FinishedAt,
        Ledger = step.Ledger is null ? null : JsonNode.Parse(step.Ledger),
    };

    /// <summary>A step as the executor reports it finished.</summary>
    public static StepState From(string runId, StepRecord step) => new(runId, step.StepId, step.Index, WorkflowResultJson.StatusName(step.Status))
    {
        Attempts = step.Attempts,
        DurationMs = step.DurationMs,
        Output = step.Output,
        Error = step.Error,
        PromptTokens = step.Usage?.PromptTokens,
        CompletionTokens = step.Usage?.CompletionTokens,
        StartedAt = step.StartedAt,
        FinishedAt = step.FinishedAt,
    };

    /// <summary>A step as a live event tells it (step-started or step-finished); null for other events.</summary>
    public static StepState? From(RunEvent item)
    {
        if (item.StepId is null || item.Type is not (RunEvent.StepStarted or RunEvent.StepFinished))
        {
            return null;
        }
        var finished = item.Type == RunEvent.StepFinished;
        return new StepState(item.RunId, item.StepId, item.Index ?? 0, item.Status ?? WorkflowResultJson.StatusName(StepStatus.Running))
        {
            Attempts = item.Attempt ?? 0,
            DurationMs = item.DurationMs ?? 0,
            Output = item.Output,
            Error = item.Error,
            PromptTokens = item.Usage?.PromptTokens,
            CompletionTokens = item.Usage?.CompletionTokens,
            StartedAt = finished ? null : item.Timestamp,
            FinishedAt = finished ? item.Timestamp : null,
        };
    }
}
