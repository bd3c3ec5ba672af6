using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// A run's log as the seed exported it: <c>{timestamp, workflow_id, execution_id, status, steps:[{step_id, status,
/// output, duration_ms}]}</c>, with the attempts, errors, token usage and times as extra fields. <c>status</c> is
/// written as the original AI-Orchestra did (<c>success</c> for a succeeded run or step); ours is beside it as
/// <c>run_status</c> and <c>step_status</c>.
/// </summary>
public static class RunLog
{
    public static JsonObject Export(RunDetails details)
    {
        var run = details.Run;
        var steps = new JsonArray();
        foreach (var step in details.Steps.Select(s => StepState.From(run.Id, s)))
        {
            steps.Add(new JsonObject
            {
                ["step_id"] = step.StepId,
                ["status"] = OriginalStatus(step.Status),
                ["step_status"] = step.Status,
                ["output"] = step.Output,
                ["duration_ms"] = step.DurationMs,
                ["attempts"] = step.Attempts,
                ["error"] = step.Error,
                ["prompt_tokens"] = step.PromptTokens,
                ["completion_tokens"] = step.CompletionTokens,
                ["started_at"] = step.StartedAt,
                ["finished_at"] = step.FinishedAt,
            });
        }
        return new JsonObject
        {
            ["timestamp"] = run.FinishedAt ?? run.StartedAt ?? run.CreatedAt,
            ["workflow_id"] = run.WorkflowId,
            ["execution_id"] = run.Id,
            ["status"] = OriginalStatus(run.Status.ToText()),
            ["run_status"] = run.Status.ToText(),
            ["steps"] = steps,
            ["workflow_version"] = run.WorkflowVersionNumber,
            ["origin"] = run.Origin,
            ["inputs"] = JsonNode.Parse(run.Inputs),
            ["error"] = run.Error,
            ["created_at"] = run.CreatedAt,
            ["started_at"] = run.StartedAt,
            ["finished_at"] = run.FinishedAt,
        };
    }

    private static string OriginalStatus(string ours) => ours == "succeeded" ? "success" : ours;
}
