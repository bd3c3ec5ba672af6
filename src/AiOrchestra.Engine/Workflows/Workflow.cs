using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Workflows;

/// <summary>A workflow as the seed format describes it: an id, a name, ordered steps and default variables.</summary>
public sealed record Workflow
{
    public required string WorkflowId { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public IReadOnlyList<WorkflowStep> Steps { get; init; } = [];

    /// <summary>Default values of the run inputs, in the order the file declares them; a run's inputs override them.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Variables { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>Whether agents may run this workflow as a tool of the MCP server at <c>/mcp</c>; null when the file says nothing.</summary>
    public McpSettings? Mcp { get; init; }

    // Whether the file spelled out a field that holds its default value, so writing it back gives the same file.
    internal bool NameWritten { get; init; }
    internal bool VariablesWritten { get; init; }
}

/// <summary>
/// The workflow's <c>mcp</c> section: <c>{"expose": true, "tool_name": "triage_email"}</c> offers it to agents as a tool at
/// <c>/mcp</c> (its variables become the tool's arguments, its description the tool's), under its workflow id unless named.
/// </summary>
public sealed record McpSettings
{
    public bool Expose { get; init; }

    /// <summary>The tool's name; null means the workflow id.</summary>
    public string? ToolName { get; init; }
}

/// <summary>One step: which step type and action to call, with which parameters, and how to handle failure.</summary>
public sealed record WorkflowStep
{
    public required string StepId { get; init; }
    public required string StepType { get; init; }
    public required string Action { get; init; }

    /// <summary>Parameters as written, with <c>{{ }}</c> placeholders not yet rendered.</summary>
    public JsonObject Parameters { get; init; } = [];

    public OnError OnError { get; init; } = OnError.Abort;

    /// <summary>Retry of transient failures; null means one attempt.</summary>
    public RetrySettings? Retry { get; init; }

    /// <summary>Limit for one attempt of the step; null means no limit of its own.</summary>
    public int? TimeoutSeconds { get; init; }

    internal bool ParametersWritten { get; init; }
    internal bool OnErrorWritten { get; init; }
}

/// <summary>What a failed step does to the run: stop it (the default) or go on with the next step.</summary>
public enum OnError
{
    Abort,
    Continue,
}

/// <summary>Exponential backoff with jitter between attempts of a transiently failing step.</summary>
public sealed record RetrySettings
{
    public int MaxAttempts { get; init; } = 3;
    public int InitialDelayMs { get; init; } = 500;
    public int MaxDelayMs { get; init; } = 30_000;

    internal bool MaxAttemptsWritten { get; init; }
    internal bool InitialDelayWritten { get; init; }
    internal bool MaxDelayWritten { get; init; }
}
