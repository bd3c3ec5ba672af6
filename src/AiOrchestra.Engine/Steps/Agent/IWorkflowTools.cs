using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Steps.Agent;

/// <summary>
/// Workflows as an agent's tools, supplied by the host that stores them. A call runs the workflow as a child run under
/// an id the agent chose and recorded first, so a resumed agent waits for that same run instead of starting another.
/// </summary>
public interface IWorkflowTools
{
    /// <summary>The owner's workflow as a tool (its description and variables); null when there is no such workflow.</summary>
    Task<WorkflowToolInfo?> FindAsync(string ownerId, string workflowId, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="workflowId"/> with <paramref name="variables"/> as the child run <paramref name="childRunId"/>
    /// of <paramref name="parentRunId"/> (started unless it already exists) and returns its outputs; a run that does not
    /// succeed, or a workflow that is gone, is a <see cref="Execution.StepFailedException"/>.
    /// </summary>
    Task<JsonNode?> RunAsync(
        string ownerId, string workflowId, string childRunId, string parentRunId, JsonObject variables, CancellationToken cancellationToken);
}

/// <summary>What an agent's model learns of a workflow tool: its description and its variables with their defaults.</summary>
public sealed record WorkflowToolInfo(string Description, IReadOnlyDictionary<string, JsonNode?> Variables);
