using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Steps.Agent;

/// <summary>
/// What an agent's model learns of a workflow it may call: supplied by the host that stores workflows. The call itself
/// is a child run (<see cref="Execution.IChildRuns"/>).
/// </summary>
public interface IWorkflowTools
{
    /// <summary>The owner's workflow as a tool (its description and variables); null when there is no such workflow.</summary>
    Task<WorkflowToolInfo?> FindAsync(string ownerId, string workflowId, CancellationToken cancellationToken);
}

/// <summary>A workflow as a tool: its description and its variables with their defaults.</summary>
public sealed record WorkflowToolInfo(string Description, IReadOnlyDictionary<string, JsonNode?> Variables);
