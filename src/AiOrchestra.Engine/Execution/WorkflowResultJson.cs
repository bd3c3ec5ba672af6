using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Execution;

/// <summary>The run result in the seed's snake_case shape: {success, outputs, errors, steps}.</summary>
public static class WorkflowResultJson
{
    public static JsonObject ToJson(WorkflowResult result) => new()
    {
        ["success"] = result.Success,
        ["cancelled"] = result.Cancelled,
        ["outputs"] = new JsonObject(result.Outputs.Select(o => KeyValuePair.Create(o.Key, o.Value?.DeepClone()))),
        ["errors"] = new JsonArray(result.Errors.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray()),
        ["steps"] = new JsonArray(result.Steps.Select(s => (JsonNode?)StepToJson(s)).ToArray()),
    };

    /// <summary>
    /// One step in the same shape the API and the exported log give it: <c>{step_id, index, status, output, error,
    /// attempts, duration_ms, prompt_tokens, completion_tokens, started_at, finished_at}</c>, null where not known.
    /// </summary>
    public static JsonObject StepToJson(StepRecord step)
    {
        var json = Fields(step);
        // as the API: only the steps that rendered a stored prompt or called a model have a ledger (unpriced here)
        if (step.Ledger is { } ledger)
        {
            json["ledger"] = ledger.ToJson();
        }
        return json;
    }

    private static JsonObject Fields(StepRecord step) => new()
    {
        ["step_id"] = step.StepId,
        ["index"] = step.Index,
        ["status"] = StatusName(step.Status),
        ["output"] = step.Output?.DeepClone(),
        ["error"] = step.Error,
        ["attempts"] = step.Attempts,
        ["duration_ms"] = step.DurationMs,
        ["prompt_tokens"] = step.Usage?.PromptTokens,
        ["completion_tokens"] = step.Usage?.CompletionTokens,
        ["started_at"] = Known(step.StartedAt),
        ["finished_at"] = Known(step.FinishedAt),
    };

    /// <summary>
    /// The run-level sentence for a step that did not succeed, as a result's <c>errors</c> lists it:
    /// <c>step 'a' failed: …</c> or <c>step 'a' was cancelled</c>.
    /// </summary>
    public static string StepError(string stepId, StepStatus status, string? error) =>
        status == StepStatus.Cancelled ? $"step '{stepId}' was cancelled" : $"step '{stepId}' failed: {error}";

    /// <summary>Lower-case status names as the API, the log export and the pages show them.</summary>
    public static string StatusName(StepStatus status) => status.ToString().ToLowerInvariant();

    private static DateTimeOffset? Known(DateTimeOffset time) => time == default ? null : time;
}
