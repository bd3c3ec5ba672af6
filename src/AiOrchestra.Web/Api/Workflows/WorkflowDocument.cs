using System.ComponentModel;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Api.Workflows;

/// <summary>
/// The seed workflow format as the OpenAPI document describes it. Requests are read by the engine's
/// WorkflowJson (which also takes the short spellings id, type and params); this type only documents the shape.
/// </summary>
[Description("A workflow in the seed format.")]
public sealed record WorkflowDocument(
    [property: Description("[a-z0-9_-]{1,64}, unique among your workflows (also read as 'id')")] string WorkflowId,
    string? Name,
    string? Description,
    IReadOnlyList<WorkflowStepDocument> Steps,
    [property: Description("Default values of the run inputs")] Dictionary<string, JsonNode?>? Variables,
    [property: Description("Offer the workflow to agents as a tool at /mcp")] WorkflowMcpDocument? Mcp);

[Description("Whether agents may run the workflow as a tool of the MCP server at /mcp, and under which name.")]
public sealed record WorkflowMcpDocument(
    bool Expose,
    [property: Description("[A-Za-z0-9_-]{1,64}; defaults to the workflow id")] string? ToolName);

[Description("One step of a workflow.")]
public sealed record WorkflowStepDocument(
    [property: Description("[A-Za-z0-9_]{1,64}, unique in the workflow (also read as 'id')")] string StepId,
    [property: Description("A step type of GET /api/steps (also read as 'type')")] string StepType,
    string Action,
    [property: Description("The action's parameters; strings may use {{variable}} and {{step_id_output}} (also read as 'params')")] JsonObject? Parameters,
    [property: Description("abort (default) or continue")] string? OnError,
    WorkflowRetryDocument? Retry,
    int? TimeoutSeconds);

public sealed record WorkflowRetryDocument(int? MaxAttempts, int? InitialDelayMs, int? MaxDelayMs);
