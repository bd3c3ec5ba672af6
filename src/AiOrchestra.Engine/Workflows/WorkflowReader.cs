using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Workflows;

/// <summary>
/// Turns a parsed JSON document into a <see cref="Workflow"/>, collecting every shape problem
/// (unknown fields, wrong types, missing fields) instead of stopping at the first one.
/// </summary>
internal sealed partial class WorkflowReader
{
    private sealed record Field(string Name, string? ShortName = null)
    {
        public bool Matches(string key) => key == Name || key == ShortName;
        public string Spellings => ShortName is null ? Name : $"{Name} (or {ShortName})";
    }

    private static readonly Field[] WorkflowFields =
        [new("workflow_id", "id"), new("name"), new("description"), new("steps"), new("variables"), new("on_failure"), new("triggers"), new("mcp")];

    private static readonly Field[] McpFields = [new("expose"), new("tool_name")];

    private static readonly Field[] StepFields =
    [
        new("step_id", "id"), new("step_type", "type"), new("action"), new("parameters", "params"),
        new("on_error"), new("retry"), new("timeout_seconds"),
        new("when"), new("for_each"), new("concurrency"), new("depends_on"), new("next_step"),
    ];

    private static readonly Field[] RetryFields = [new("max_attempts"), new("initial_delay_ms"), new("max_delay_ms")];

    private readonly List<ValidationError> _errors = [];
    private bool _originalShape;

    public WorkflowParseResult Read(JsonNode? root)
    {
        if (root is not JsonObject obj)
        {
            Error("", $"a workflow file holds one JSON object such as {{\"workflow_id\": \"my_workflow\", \"steps\": [...]}}, but this one holds {JsonValues.Describe(root)}");
            return Result(null);
        }
        var fields = ReadFields(obj, "", "a workflow", WorkflowFields);
        var workflowId = RequiredString(fields, "", "workflow_id", "give the workflow an id, e.g. \"workflow_id\": \"email_digest\"");
        var name = OptionalString(fields, "name");
        var description = OptionalString(fields, "description");
        var steps = ReadSteps(fields);
        var variables = ReadVariables(fields);
        var triggers = new TriggerReader(_errors).Read(fields.TryGetValue("triggers", out var found) ? found : null);
        _originalShape = obj.ContainsKey("id") && !obj.ContainsKey("workflow_id");
        var mcp = ReadMcp(fields);
        // best effort: what could be read, with empty text where a field was missing, so the validator can still
        // report everything else; the result does not succeed while the reader has errors
        return Result(new Workflow
        {
            WorkflowId = workflowId ?? "",
            Name = name ?? "",
            Description = description,
            Steps = steps,
            Variables = variables,
            Triggers = triggers,
            Mcp = mcp,
            NameWritten = name is not null,
            VariablesWritten = fields.ContainsKey("variables"),
            OnFailure = ReadOnFailure(fields),
        });
    }

    private WorkflowParseResult Result(Workflow? workflow) => new(workflow, _errors) { OriginalShape = _originalShape };

    private List<WorkflowStep> ReadSteps(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        var steps = new List<WorkflowStep>();
        if (!fields.TryGetValue("steps", out var found))
        {
            Error("steps", "required field is missing; list the steps to run, e.g. \"steps\": [{\"step_id\": \"ask\", \"step_type\": \"openai\", \"action\": \"generate_completion\", \"parameters\": {...}}]");
            return steps;
        }
        if (found.Value is not JsonArray array)
        {
            Error(found.Path, $"expected a list of steps [...], got {JsonValues.Describe(found.Value)}");
            return steps;
        }
        if (array.Count > WorkflowLimits.MaxSteps)
        {
            Error(found.Path, $"the workflow has {array.Count} steps, over the limit of {WorkflowLimits.MaxSteps}; split it into smaller workflows");
            return steps;
        }
        for (var index = 0; index < array.Count; index++)
        {
            // every element keeps its place, so the validator's paths (steps[3]) match the file
            steps.Add(ReadStep(array[index], JsonValues.Item(found.Path, index)));
        }
        return steps;
    }

    private WorkflowStep ReadStep(JsonNode? node, string path)
    {
        if (node is not JsonObject obj)
        {
            Error(path, $"expected a step object such as {{\"step_id\": \"ask\", \"step_type\": \"openai\", \"action\": \"generate_completion\"}}, got {JsonValues.Describe(node)}");
            return new WorkflowStep { StepId = "", StepType = "", Action = "" };
        }
        var fields = ReadFields(obj, path, "a step", StepFields);
        var stepId = RequiredString(fields, path, "step_id", "give the step an id, e.g. \"step_id\": \"summarize\"; later steps read its output as {{summarize_output}}");
        var stepType = RequiredString(fields, path, "step_type", "say which kind of step this is, e.g. \"step_type\": \"openai\"");
        var action = RequiredString(fields, path, "action", "say what the step does, e.g. \"action\": \"generate_completion\"");
        var parameters = ReadParameters(fields);
        var onError = ReadOnError(fields);
        var retry = ReadRetry(fields);
        var timeout = OptionalInt(fields, "timeout_seconds", "a whole number of seconds");
        var step = new WorkflowStep
        {
            StepId = stepId ?? "",
            StepType = stepType ?? "",
            Action = action ?? "",
            Parameters = parameters ?? [],
            OnError = onError ?? OnError.Abort,
            Retry = retry,
            TimeoutSeconds = timeout,
            ParametersWritten = parameters is not null,
            OnErrorWritten = onError is not null,
        };
        return OriginalNames.ToOurs(ReadControlFlow(fields, step));
    }

    private JsonObject? ReadParameters(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        if (!fields.TryGetValue("parameters", out var found) || found.Value is null)
        {
            return null;
        }
        if (found.Value is not JsonObject parameters)
        {
            Error(found.Path, $"expected an object of parameters such as {{\"prompt\": \"...\"}}, got {JsonValues.Describe(found.Value)}");
            return null;
        }
        return (JsonObject)parameters.DeepClone();
    }

    private OnError? ReadOnError(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        if (!fields.TryGetValue("on_error", out var found) || found.Value is null)
        {
            return null;
        }
        JsonValues.IsString(found.Value, out var text);
        switch (text)
        {
            case "abort":
                return OnError.Abort;
            case "continue":
                return OnError.Continue;
            default:
                Error(found.Path, $"expected \"abort\" (stop the run when this step fails) or \"continue\" (go on with the next step), got {JsonValues.Describe(found.Value)}");
                return null;
        }
    }

    private RetrySettings? ReadRetry(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        if (!fields.TryGetValue("retry", out var found) || found.Value is null)
        {
            return null;
        }
        if (found.Value is not JsonObject obj)
        {
            Error(found.Path, $"expected an object such as {{\"max_attempts\": 3, \"initial_delay_ms\": 500, \"max_delay_ms\": 30000}}, got {JsonValues.Describe(found.Value)}");
            return null;
        }
        var retryFields = ReadFields(obj, found.Path, "retry", RetryFields);
        var maxAttempts = OptionalInt(retryFields, "max_attempts", "a whole number of attempts");
        var initialDelay = OptionalInt(retryFields, "initial_delay_ms", "a whole number of milliseconds");
        var maxDelay = OptionalInt(retryFields, "max_delay_ms", "a whole number of milliseconds");
        var defaults = new RetrySettings();
        return new RetrySettings
        {
            MaxAttempts = maxAttempts ?? defaults.MaxAttempts,
            InitialDelayMs = initialDelay ?? defaults.InitialDelayMs,
            MaxDelayMs = maxDelay ?? defaults.MaxDelayMs,
            MaxAttemptsWritten = maxAttempts is not null,
            InitialDelayWritten = initialDelay is not null,
            MaxDelayWritten = maxDelay is not null,
        };
    }

    private IReadOnlyDictionary<string, JsonNode?> ReadVariables(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        var variables = new OrderedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (!fields.TryGetValue("variables", out var found) || found.Value is null)
        {
            return variables;
        }
        if (found.Value is not JsonObject obj)
        {
            Error(found.Path, $"expected an object of default values such as {{\"topic\": \"onboarding\"}}, got {JsonValues.Describe(found.Value)}");
            return variables;
        }
        foreach (var (name, value) in obj)
        {
            variables[name] = value?.DeepClone();
        }
        return variables;
    }

    private McpSettings? ReadMcp(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        if (!fields.TryGetValue("mcp", out var found) || found.Value is null)
        {
            return null;
        }
        if (found.Value is not JsonObject obj)
        {
            Error(found.Path, $"expected an object such as {{\"expose\": true, \"tool_name\": \"triage_email\"}}, got {JsonValues.Describe(found.Value)}");
            return null;
        }
        var mcpFields = ReadFields(obj, found.Path, "mcp", McpFields);
        var expose = false;
        if (mcpFields.TryGetValue("expose", out var flag) && flag.Value is not null)
        {
            if (flag.Value is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                expose = value.GetValue<bool>();
            }
            else
            {
                Error(flag.Path, $"expected true or false, got {JsonValues.Describe(flag.Value)}");
            }
        }
        return new McpSettings { Expose = expose, ToolName = OptionalString(mcpFields, "tool_name") };
    }

    /// <summary>Maps each property to its field (long spelling), reporting unknown fields and fields given twice.</summary>
    private Dictionary<string, (JsonNode? Value, string Path)> ReadFields(JsonObject obj, string path, string what, Field[] known)
    {
        var found = new Dictionary<string, (JsonNode? Value, string Path)>(StringComparer.Ordinal);
        var spellings = known.SelectMany(f => f.ShortName is null ? [f.Name] : new[] { f.Name, f.ShortName }).ToArray();
        foreach (var (key, value) in obj)
        {
            var keyPath = JsonValues.Child(path, key);
            var field = known.FirstOrDefault(f => f.Matches(key));
            if (field is null)
            {
                Error(keyPath, $"unknown field '{key}'{Spelling.DidYouMean(key, spellings)}; {what} has the fields: {string.Join(", ", known.Select(f => f.Spellings))}");
                continue;
            }
            if (found.ContainsKey(field.Name))
            {
                Error(keyPath, $"'{field.ShortName}' and '{field.Name}' are two spellings of the same field; keep only '{field.Name}'");
                continue;
            }
            found[field.Name] = (value, keyPath);
        }
        return found;
    }

    private string? RequiredString(Dictionary<string, (JsonNode? Value, string Path)> fields, string path, string name, string hint)
    {
        if (!fields.TryGetValue(name, out var found))
        {
            Error(JsonValues.Child(path, name), $"required field is missing; {hint}");
            return null;
        }
        if (!JsonValues.IsString(found.Value, out var text))
        {
            Error(found.Path, $"expected a string, got {JsonValues.Describe(found.Value)}");
            return null;
        }
        return text;
    }

    private string? OptionalString(Dictionary<string, (JsonNode? Value, string Path)> fields, string name)
    {
        if (!fields.TryGetValue(name, out var found) || found.Value is null)
        {
            return null;
        }
        if (!JsonValues.IsString(found.Value, out var text))
        {
            Error(found.Path, $"expected a string, got {JsonValues.Describe(found.Value)}");
            return null;
        }
        return text;
    }

    private int? OptionalInt(Dictionary<string, (JsonNode? Value, string Path)> fields, string name, string expected)
    {
        if (!fields.TryGetValue(name, out var found) || found.Value is null)
        {
            return null;
        }
        if (found.Value is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var number))
        {
            return number;
        }
        Error(found.Path, $"expected {expected}, got {JsonValues.Describe(found.Value)}");
        return null;
    }

    private void Error(string path, string message) => _errors.Add(new ValidationError(path, message));
}
