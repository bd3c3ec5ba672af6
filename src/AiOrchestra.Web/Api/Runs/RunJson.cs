using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;

namespace AiOrchestra.Web.Api.Runs;

/// <summary>A run as the API shows it in lists.</summary>
public sealed record RunSummary(
    string RunId, string WorkflowId, int WorkflowVersion, string Status, string Origin, string? Error,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>One step of a run.</summary>
public sealed record RunStepJson(
    string StepId, int Index, string Status, JsonNode? Output, string? Error, int Attempts, long DurationMs,
    int? PromptTokens, int? CompletionTokens, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    /// <summary>
    /// The stored prompts the step rendered (<c>prompts: [{template_id, version}]</c>) and its LLM calls with what was
    /// sent, the models, settings, finish reason, tokens and cost; null for steps that did neither.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public JsonNode? Ledger { get; init; }
}

/// <summary>A run's LLM calls added up: <c>{calls, input_tokens, output_tokens, cost, unpriced_calls}</c>.</summary>
public sealed record LlmTotalsJson(int Calls, long InputTokens, long OutputTokens, decimal Cost, int UnpricedCalls)
{
    public static LlmTotalsJson Of(Ledger.LedgerTotals totals) =>
        new(totals.Calls, totals.InputTokens, totals.OutputTokens, totals.Cost, totals.UnpricedCalls);
}

/// <summary>
/// A run with its inputs, outputs by step id, errors and steps; for a child run (a sub-workflow) the run, step and item
/// that started it, and for a parent the child runs its steps started.
/// </summary>
public sealed record RunDetail(
    string RunId, string WorkflowId, int WorkflowVersion, string Status, string Origin, bool Success, JsonNode? Inputs,
    Dictionary<string, JsonNode?> Outputs, IReadOnlyList<string> Errors, IReadOnlyList<RunStepJson> Steps,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string? ParentRunId, string? ParentStepId, int? ParentItemIndex, IReadOnlyList<ChildRunJson> ChildRuns)
{
    /// <summary>The failed or cancelled run this one resumes (its steps before <c>from</c> are copies of that run's).</summary>
    public string? ResumedFromRunId { get; init; }

    /// <summary>The runs that resumed this one, oldest first.</summary>
    public IReadOnlyList<string> ResumedBy { get; init; } = [];

    /// <summary>The run's LLM calls added up; all zero for a run that called no model.</summary>
    public required LlmTotalsJson LlmTotals { get; init; }
}

/// <summary>A child run a step started: <c>{run_id, workflow_id, step_id, item_index, status}</c>.</summary>
public sealed record ChildRunJson(string RunId, string WorkflowId, string? StepId, int? ItemIndex, string Status);

/// <summary>
/// The seed's execute result, <c>{run_id, success, outputs, errors, steps}</c>, with the original AI-Orchestra's fields
/// beside it: <c>workflow_id</c>, <c>status</c> as it wrote it (<c>completed</c> or <c>failed</c>; ours is
/// <c>run_status</c>), <c>started_at</c>, <c>completed_at</c> and <c>steps_executed</c> (the ids of the steps that ran).
/// </summary>
public sealed record ExecuteResult(
    string RunId, string WorkflowId, string Status, string RunStatus, bool Success, Dictionary<string, JsonNode?> Outputs,
    IReadOnlyList<string> Errors, IReadOnlyList<RunStepJson> Steps, IReadOnlyList<string> StepsExecuted,
    DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt);

/// <summary>A run that was queued and has not finished yet; follow <c>location</c>.</summary>
public sealed record RunAccepted(string RunId, string Status, string Location);

internal static class RunJson
{
    /// <summary>A run as a list shows it, as a query projection: only the columns it shows are read, not each run's inputs or lease.</summary>
    public static RunSummary Summary(RunRow run) => new(
        run.Id, run.WorkflowId, run.WorkflowVersionNumber, run.Status.ToText(), run.Origin, run.Error, run.CreatedAt, run.StartedAt, run.FinishedAt);

    public static RunDetail Detail(RunDetails details, IReadOnlyList<ChildRunRow> children)
    {
        var run = details.Run;
        var steps = States(details);
        return new RunDetail(
            run.Id, run.WorkflowId, run.WorkflowVersionNumber, run.Status.ToText(), run.Origin, run.Status == RunStatus.Succeeded,
            JsonNode.Parse(run.Inputs), Outputs(steps), Errors(details), steps.Select(Step).ToList(),
            run.CreatedAt, run.StartedAt, run.FinishedAt,
            run.ParentRunId, run.ParentStepId, run.ParentItemIndex,
            children.Select(c => new ChildRunJson(c.Id, c.WorkflowId, c.ParentStepId, c.ParentItemIndex, c.Status.ToText())).ToList())
        { ResumedFromRunId = run.ResumedFromRunId, LlmTotals = LlmTotalsJson.Of(Totals(steps)) };
    }

    public static ExecuteResult Executed(RunDetails details)
    {
        var run = details.Run;
        var succeeded = run.Status == RunStatus.Succeeded;
        var steps = States(details);
        return new(
            run.Id, run.WorkflowId, succeeded ? "completed" : "failed", run.Status.ToText(), succeeded,
            Outputs(steps), Errors(details), steps.Select(Step).ToList(),
            details.Steps.Where(s => s.Status is StepStatus.Succeeded or StepStatus.Failed).Select(s => s.StepId).ToList(),
            run.StartedAt, run.FinishedAt);
    }

    public static RunStepJson Step(StepState step) => new(
        step.StepId, step.Index, step.Status, step.Output, step.Error, step.Attempts, step.DurationMs,
        step.PromptTokens, step.CompletionTokens, step.StartedAt, step.FinishedAt)
    { Ledger = step.Ledger };

    /// <summary>The LLM calls of the steps added up, from the totals each step's ledger carries.</summary>
    private static Ledger.LedgerTotals Totals(IEnumerable<StepState> steps)
    {
        var totals = new Ledger.LedgerTotals();
        foreach (var step in steps)
        {
            if (step.Ledger is not null && Ledger.LedgerTotals.Of(step.Ledger) is { } stepTotals)
            {
                totals = totals.Add(stepTotals);
            }
        }
        return totals;
    }

    private static List<StepState> States(RunDetails details) => details.Steps.Select(s => StepState.From(details.Run.Id, s)).ToList();

    public static string Location(string runId) => $"/api/runs/{runId}";

    /// <summary>Outputs by step id, as the seed's result: the steps that produced one.</summary>
    private static Dictionary<string, JsonNode?> Outputs(IReadOnlyList<StepState> steps) =>
        steps.Where(s => s.Status == SucceededName).ToDictionary(s => s.StepId, s => s.Output, StringComparer.Ordinal);

    private static readonly string SucceededName = WorkflowResultJson.StatusName(StepStatus.Succeeded);

    /// <summary>
    /// Every step that failed or was cancelled, in the executor's words, including failures the workflow continued
    /// past (on_error: continue); then the run's own error lines (stored one per line) that no step accounts for.
    /// </summary>
    private static List<string> Errors(RunDetails details)
    {
        var errors = details.Steps
            .Where(s => s.Status is StepStatus.Failed or StepStatus.Cancelled)
            .OrderBy(s => s.Index)
            .Select(s => WorkflowResultJson.StepError(s.StepId, s.Status, s.Error))
            .ToList();
        var run = details.Run;
        if (run.Status is RunStatus.Failed or RunStatus.Cancelled && !string.IsNullOrEmpty(run.Error))
        {
            errors.AddRange(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !errors.Contains(line)));
        }
        return errors;
    }
}
