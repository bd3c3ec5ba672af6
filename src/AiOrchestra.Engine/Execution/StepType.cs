using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// A plug-in step type (template, http, openai, ...). It describes its actions and their parameters once;
/// the validator, the dashboard's editor and the API docs all read that description.
/// </summary>
public interface IStepType
{
    /// <summary>The <c>step_type</c> value in workflow files, e.g. <c>http</c>.</summary>
    string Name { get; }

    string Description { get; }

    IReadOnlyList<StepAction> Actions { get; }

    /// <summary>
    /// True for step types that call a language model: their attempts get the longer default time limit
    /// (<see cref="ExecutionLimits.LlmStepTimeout"/>) when the step sets no <c>timeout_seconds</c>.
    /// </summary>
    bool UsesLanguageModel => false;

    /// <summary>
    /// Problems with parameter values written in the workflow that the schema cannot express (a limit, a format, an
    /// agent's tools), each at its path under <paramref name="path"/> (the step's <c>parameters</c>). The validator
    /// runs this beside the schema's checks, whatever they found, so a check reads only values of the type it expects;
    /// values rendered at run time are checked when the step runs.
    /// </summary>
    IEnumerable<Workflows.ValidationError> CheckParameters(string action, JsonObject parameters, string path) => [];

    /// <summary>
    /// True for step types whose work is other steps (a sub-workflow): those have their own time limits, so the step
    /// itself has none unless it sets <c>timeout_seconds</c>.
    /// </summary>
    bool RunsOtherSteps => false;

    /// <summary>
    /// Runs one attempt of <paramref name="call"/>. Throw <see cref="StepFailedException"/> for a failure a
    /// person can act on (transient ones are retried); honour the token for timeout and cancel.
    /// </summary>
    Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken);
}

/// <summary>One action of a step type with its parameter schema.</summary>
public sealed record StepAction(string Name, string Description, IReadOnlyList<StepParameter> Parameters);

/// <summary>One parameter of an action: its JSON type, whether it is required, and what it is for.</summary>
public sealed record StepParameter(string Name, ParameterType Type, bool Required, string Description, bool Secret = false);

public enum ParameterType
{
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
    /// <summary>Any JSON value (for example an HTTP body).</summary>
    Any,
    /// <summary>A JSON Schema object (draft 2020-12), checked as a schema when the workflow is validated.</summary>
    JsonSchema,
}

/// <summary>Everything a step type needs for one attempt: the action, its rendered parameters and the run it belongs to.</summary>
public sealed record StepCall(string Action, JsonObject Parameters, StepContext Context);

/// <summary>The run around a step call: ids for logging, and a way to report streamed output and token usage.</summary>
public sealed class StepContext
{
    public required string RunId { get; init; }
    public required string StepId { get; init; }
    public required int Attempt { get; init; }

    /// <summary>The step's position in its workflow.</summary>
    public int StepIndex { get; init; }

    /// <summary>The for_each item this call is for; null outside a loop.</summary>
    public int? ItemIndex { get; init; }

    /// <summary>The id of the workflow the run is of.</summary>
    public string WorkflowId { get; init; } = "";

    /// <summary>The workflow ids of the runs this run is a sub-workflow of, outermost first (empty for a top-level run).</summary>
    public IReadOnlyList<string> Ancestors { get; init; } = [];

    /// <summary>The user the run belongs to; step types that read stored data (prompts) scope it to this user.</summary>
    public required string OwnerId { get; init; }

    /// <summary>
    /// The run's values when the step started: variables, inputs and earlier steps' outputs, by the names templates
    /// use. For step types that fill placeholders of their own (<c>transform</c> <c>format</c>); read, never change.
    /// </summary>
    public IReadOnlyDictionary<string, JsonNode?> Values { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>Receives partial output as it streams (LLM tokens); published as <c>step-delta</c> events.</summary>
    public Action<string> ReportDelta { get; init; } = _ => { };

    /// <summary>Token usage reported by LLM steps, kept in the step log.</summary>
    public TokenUsage? Usage { get; set; }

    /// <summary>The prompts this call rendered and the model calls it made; null for steps that do neither.</summary>
    public StepLedger? Ledger { get; private set; }

    /// <summary>The call's ledger, made on first use: only steps that render a prompt or call a model pay for one.</summary>
    public StepLedger OpenLedger() => Ledger ??= new StepLedger();

    /// <summary>UTF-8 bytes a text the step renders itself (a stored prompt template) may grow to.</summary>
    public long MaxRenderedBytes { get; init; } = Templating.RenderBudget.DefaultMaxBytes;

    /// <summary>
    /// Durable notes of this step call (an agent's turns and tool calls), kept across retries and a crash of the process.
    /// </summary>
    public StepJournal Journal { get; init; } = StepJournal.InMemory();

    /// <summary>HTTP requests this attempt sent to a provider, retries of the HTTP pipeline included (0 for offline steps).</summary>
    public int HttpAttempts { get; set; }
}

public sealed record TokenUsage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>
/// A step failure with a message a person can act on. Transient failures (timeouts, 429, 5xx) are retried
/// when the step allows; <see cref="RetryAfter"/> carries the server's hint and wins over the backoff.
/// </summary>
public sealed class StepFailedException(string message, bool transient = false, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    public bool Transient { get; } = transient;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
