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

    /// <summary>The workflow started when a run of this one fails; null for none.</summary>
    public FailureHandler? OnFailure { get; init; }
    /// <summary>What starts the workflow by itself (webhooks, schedules, polls); empty for a workflow run by hand or the API.</summary>
    public IReadOnlyList<WorkflowTrigger> Triggers { get; init; } = [];
    /// <summary>Whether agents may run this workflow as a tool of the MCP server at <c>/mcp</c>; null when the file says nothing.</summary>
    public McpSettings? Mcp { get; init; }

    // Whether the file spelled out a field that holds its default value, so writing it back gives the same file.
    internal bool NameWritten { get; init; }
    internal bool VariablesWritten { get; init; }
}

/// <summary>
/// A workflow-level <c>on_failure</c>: the owner's workflow to start when a run fails, with variables rendered from
/// <c>{{failed_run.id}}</c>, <c>{{failed_run.workflow_id}}</c>, <c>{{failed_run.error}}</c> and <c>{{failed_run.failed_step}}</c>.
/// </summary>
public sealed record FailureHandler
{
    public required string WorkflowId { get; init; }

    /// <summary>The handler's inputs as written, with <c>{{ }}</c> placeholders not yet rendered.</summary>
    public JsonObject Variables { get; init; } = [];

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

    /// <summary>A condition (<see cref="Expressions.Condition"/>): when it is false the step is skipped; null means always run.</summary>
    public string? When
    {
        get => _when;
        init
        {
            _when = value;
            _condition = null;
        }
    }

    /// <summary>The list the step runs once per item of: a <c>{{reference}}</c> to one, or a literal list; null means run once.</summary>
    public JsonNode? ForEach { get; init; }

    /// <summary>Items of <see cref="ForEach"/> run at once; null means one at a time.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Earlier steps this one waits for instead of the one before it; null means the one before it.</summary>
    public IReadOnlyList<string>? DependsOn { get; init; }

    /// <summary>
    /// The original project's <c>next_step</c>: the id of the step that runs after this one (always the next one listed,
    /// which validation checks), or null on the step that ends the run. Kept so a file writes back as it was read.
    /// </summary>
    public string? NextStep { get; init; }

    internal bool NextStepWritten { get; init; }

    private string? _when;
    private Expressions.Condition? _condition;

    /// <summary>The parsed <see cref="When"/>, parsed once per step and kept (workflows are cached per version).</summary>
    internal Expressions.Condition? Condition => _when is null ? null : _condition ??= Expressions.Condition.Parse(_when);

    /// <summary>
    /// A loop whose condition reads <c>item</c> or <c>item_index</c> tests each item on its own (a false one is
    /// skipped, null in the output); any other condition is tested once for the whole step.
    /// </summary>
    internal bool ConditionPerItem => ForEach is not null && Condition is { } condition
        && condition.References.Any(r => WorkflowValidator.IsItemName(r.Name));
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
