using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Pages.Workflows;

/// <summary>One step as the editor's fields hold it: parameters as text, typed by the action's schema when saved.</summary>
/// <remarks>Model binding turns an empty field into null; the setters keep it "" so the validator reports it by field.</remarks>
public sealed class StepForm
{
    public string StepId { get; set => field = value ?? ""; } = "";
    public string StepType { get; set => field = value ?? ""; } = "";
    public string Action { get; set => field = value ?? ""; } = "";
    public Dictionary<string, string?> Parameters { get; set; } = [];
    public string OnError { get; set => field = value ?? "abort"; } = "abort";
    public int? MaxAttempts { get; set; }
    public int? TimeoutSeconds { get; set; }

    /// <summary>The step's condition; empty means always run.</summary>
    public string? When { get; set; }

    /// <summary>What the step loops over: a reference such as {{fetch_output}}, or a JSON list; empty means run once.</summary>
    public string? ForEach { get; set; }

    public int? Concurrency { get; set; }

    /// <summary>The ids of the steps this one waits for, separated by commas; empty means the step before it.</summary>
    public string? DependsOn { get; set; }
}

/// <summary>The workflow editor's fields, and their conversion from and to a <see cref="Workflow"/>.</summary>
/// <remarks>Model binding turns an empty field into null; the setters keep it "" so the validator reports it by field.</remarks>
public sealed class WorkflowForm
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string WorkflowId { get; set => field = value ?? ""; } = "";
    public string Name { get; set => field = value ?? ""; } = "";
    public string? Description { get; set; }

    /// <summary>The default variables as a JSON object.</summary>
    public string Variables { get; set => field = value ?? ""; } = "{}";

    public List<StepForm> Steps { get; set => field = value ?? []; } = [];

    /// <summary>The workflow started when a run fails (on_failure); empty for none.</summary>
    public string? OnFailureWorkflowId { get; set; }

    /// <summary>The failure handler's variables as a JSON object.</summary>
    public string? OnFailureVariables { get; set; }
    /// <summary>The triggers as a JSON array (empty for none).</summary>
    public string Triggers { get; set => field = value ?? ""; } = "";
    /// <summary>Offer the workflow to agents as a tool of the MCP server (the document's <c>mcp.expose</c>).</summary>
    public bool McpExpose { get; set; }

    /// <summary>The tool's name; empty means the workflow id.</summary>
    public string? McpToolName { get; set; }

    public static WorkflowForm From(Workflow workflow)
    {
        var variables = new JsonObject();
        foreach (var (name, value) in workflow.Variables)
        {
            variables[name] = value?.DeepClone();
        }
        return new WorkflowForm
        {
            WorkflowId = workflow.WorkflowId,
            Name = workflow.Name,
            Description = workflow.Description,
            Variables = variables.ToJsonString(Indented),
            OnFailureWorkflowId = workflow.OnFailure?.WorkflowId,
            OnFailureVariables = workflow.OnFailure is { Variables.Count: > 0 } handler ? handler.Variables.ToJsonString(Indented) : null,
            Triggers = WorkflowJson.SerializeTriggers(workflow.Triggers),
            McpExpose = workflow.Mcp?.Expose ?? false,
            McpToolName = workflow.Mcp?.ToolName,
            Steps = workflow.Steps.Select(step => new StepForm
            {
                StepId = step.StepId,
                StepType = step.StepType,
                Action = step.Action,
                Parameters = step.Parameters.ToDictionary(p => p.Key, p => ToText(p.Value)),
                OnError = step.OnError == OnError.Continue ? "continue" : "abort",
                MaxAttempts = step.Retry?.MaxAttempts,
                TimeoutSeconds = step.TimeoutSeconds,
                When = step.When,
                ForEach = ToText(step.ForEach),
                Concurrency = step.Concurrency,
                DependsOn = step.DependsOn is { } dependsOn ? string.Join(", ", dependsOn) : null,
            }).ToList(),
        };
    }

    /// <summary>
    /// The workflow the fields describe. A field that is not valid JSON where JSON is expected stays a string, so the
    /// validator reports it against its path; a broken variables object is reported here.
    /// </summary>
    public (Workflow Workflow, IReadOnlyList<ValidationError> Errors) ToWorkflow(StepCatalog catalog)
    {
        var errors = new List<ValidationError>();
        var variables = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        try
        {
            var parsed = string.IsNullOrWhiteSpace(Variables) ? new JsonObject() : JsonNode.Parse(Variables);
            if (parsed is JsonObject items)
            {
                foreach (var (name, value) in items)
                {
                    variables[name] = value?.DeepClone();
                }
            }
            else
            {
                errors.Add(new ValidationError("variables", "must be a JSON object such as {\"topic\": \"\"}."));
            }
        }
        catch (JsonException e)
        {
            errors.Add(new ValidationError("variables", $"is not valid JSON ({e.Message}); write an object such as {{\"topic\": \"\"}}."));
        }

        var (triggers, triggerErrors) = WorkflowJson.ParseTriggers(Triggers);
        errors.AddRange(triggerErrors);

        var steps = Steps.Select(step =>
        {
            var schema = catalog.FindAction(step.StepType, step.Action)?.Parameters ?? [];
            var parameters = new JsonObject();
            foreach (var (name, text) in step.Parameters)
            {
                var type = schema.FirstOrDefault(p => p.Name == name)?.Type ?? ParameterType.Any;
                if (FromText(text, type) is { } value)
                {
                    parameters[name] = value;
                }
            }
            return new WorkflowStep
            {
                StepId = step.StepId.Trim(),
                StepType = step.StepType,
                Action = step.Action,
                Parameters = parameters,
                OnError = step.OnError == "continue" ? OnError.Continue : OnError.Abort,
                Retry = step.MaxAttempts is > 1 ? new RetrySettings { MaxAttempts = step.MaxAttempts.Value } : null,
                TimeoutSeconds = step.TimeoutSeconds,
                When = string.IsNullOrWhiteSpace(step.When) ? null : step.When.Trim(),
                ForEach = FromText(step.ForEach?.Trim(), ParameterType.Any),
                Concurrency = step.Concurrency,
                DependsOn = string.IsNullOrWhiteSpace(step.DependsOn)
                    ? null
                    : step.DependsOn.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            };
        }).ToList();

        FailureHandler? onFailure = null;
        if (!string.IsNullOrWhiteSpace(OnFailureWorkflowId))
        {
            var handlerVariables = new JsonObject();
            try
            {
                var parsed = string.IsNullOrWhiteSpace(OnFailureVariables) ? new JsonObject() : JsonNode.Parse(OnFailureVariables);
                if (parsed is JsonObject given)
                {
                    handlerVariables = (JsonObject)given.DeepClone();
                }
                else
                {
                    errors.Add(new ValidationError("on_failure.variables", "must be a JSON object such as {\"message\": \"{{failed_run.error}}\"}."));
                }
            }
            catch (JsonException e)
            {
                errors.Add(new ValidationError("on_failure.variables", $"is not valid JSON ({e.Message}); write an object such as {{\"message\": \"{{{{failed_run.error}}}}\"}}."));
            }
            onFailure = new FailureHandler { WorkflowId = OnFailureWorkflowId.Trim(), Variables = handlerVariables };
        }

        var workflow = new Workflow
        {
            WorkflowId = WorkflowId.Trim(),
            Name = Name.Trim(),
            Description = string.IsNullOrWhiteSpace(Description) ? null : Description.Trim(),
            Steps = steps,
            Variables = variables,
            OnFailure = onFailure,
            Triggers = triggers,
            Mcp = McpExpose || !string.IsNullOrWhiteSpace(McpToolName)
                ? new McpSettings { Expose = McpExpose, ToolName = string.IsNullOrWhiteSpace(McpToolName) ? null : McpToolName.Trim() }
                : null,
        };
        return (workflow, errors);
    }

    /// <summary>A string parameter is edited as its text; any other value as JSON.</summary>
    public static string? ToText(JsonNode? value) =>
        value is JsonValue text && text.TryGetValue<string>(out var s) ? s : value?.ToJsonString(Indented);

    internal static JsonNode? FromText(string? text, ParameterType type)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (type == ParameterType.String)
        {
            return JsonValue.Create(text);
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            // not JSON: a template such as {{count}} or plain text, kept as written
            return JsonValue.Create(text);
        }
    }
}
