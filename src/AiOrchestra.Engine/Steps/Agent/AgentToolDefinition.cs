using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Steps.Agent;

/// <summary>
/// One entry of an agent step's <c>tools</c> as written: a single step (<c>step_type</c>, <c>action</c>, fixed
/// <c>parameters</c>, the others filled by the model), another workflow (<c>workflow</c>: its variables are the
/// arguments), or every tool of a configured MCP server (<c>mcp</c>, optionally only <c>tools</c> of them).
/// </summary>
public sealed record AgentToolDefinition
{
    public const int MaxTools = 64;

    public required AgentToolKind Kind { get; init; }

    /// <summary>The name the model calls the tool by (step and workflow tools); null for an MCP server's tools.</summary>
    public string? Name { get; init; }

    public string? Description { get; init; }

    public string? StepType { get; init; }

    public string? Action { get; init; }

    /// <summary>A step tool's parameters fixed by the workflow; the model cannot change them.</summary>
    public JsonObject Parameters { get; init; } = [];

    /// <summary>The parameters the model fills (a step tool); null means every parameter of the action that is not fixed.</summary>
    public IReadOnlyList<string>? Arguments { get; init; }

    public string? WorkflowId { get; init; }

    public string? Server { get; init; }

    /// <summary>The MCP server's tools offered (null: all of them).</summary>
    public IReadOnlyList<string>? ServerTools { get; init; }

    /// <summary>
    /// The workflows the agent steps of <paramref name="workflow"/> name as tools, with the path of each (ids written out;
    /// a tool list rendered from a variable is read when the step runs).
    /// </summary>
    public static IEnumerable<(string Path, string WorkflowId)> WorkflowReferences(Workflow workflow)
    {
        for (var index = 0; index < workflow.Steps.Count; index++)
        {
            var step = workflow.Steps[index];
            if (step.StepType != AgentStep.TypeName || step.Parameters["tools"] is not JsonArray tools)
            {
                continue;
            }
            for (var i = 0; i < tools.Count; i++)
            {
                if (tools[i] is JsonObject tool && JsonValues.IsString(tool["workflow"], out var id) && Ids.WorkflowId().IsMatch(id.Trim()))
                {
                    yield return ($"{JsonValues.Item("steps", index)}.parameters.{JsonValues.Item("tools", i)}.workflow", id.Trim());
                }
            }
        }
    }

    /// <summary>
    /// The tool definitions of an agent step's <c>tools</c> parameter, or the problems with them, each with its path under
    /// <paramref name="path"/>. Step tools are checked against <paramref name="catalog"/>.
    /// </summary>
    public static (List<AgentToolDefinition> Tools, List<ValidationError> Problems) Read(JsonNode? tools, string path, StepCatalog catalog)
    {
        var definitions = new List<AgentToolDefinition>();
        var problems = new List<ValidationError>();
        if (tools is null)
        {
            return (definitions, problems);
        }
        if (tools is not JsonArray list)
        {
            problems.Add(new(path, $"expected a list of tools, got {JsonValues.Describe(tools)}"));
            return (definitions, problems);
        }
        if (list.Count > MaxTools)
        {
            problems.Add(new(path, $"{list.Count} tools given, over the limit of {MaxTools}; models choose badly among that many anyway"));
            return (definitions, problems);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var at = JsonValues.Item(path, i);
            if (list[i] is not JsonObject tool)
            {
                problems.Add(new(at, $"expected a tool object ({{\"step_type\": ..., \"action\": ...}}, {{\"workflow\": ...}} or {{\"mcp\": ...}}), got {JsonValues.Describe(list[i])}"));
                continue;
            }
            var definition = ReadOne(tool, at, catalog, problems);
            if (definition?.Name is { } name && !names.Add(name))
            {
                problems.Add(new(JsonValues.Child(at, "name"), $"two tools are named '{name}'; give each a name of its own"));
            }
            if (definition is not null)
            {
                definitions.Add(definition);
            }
        }
        return (definitions, problems);
    }

    private static AgentToolDefinition? ReadOne(JsonObject tool, string at, StepCatalog catalog, List<ValidationError> problems)
    {
        var kinds = new[] { "step_type", "workflow", "mcp" }.Where(tool.ContainsKey).ToList();
        if (kinds.Count != 1)
        {
            problems.Add(new(at, kinds.Count == 0
                ? "a tool needs one of 'step_type' (with 'action'), 'workflow' or 'mcp'"
                : $"a tool is one kind only, but this one has {string.Join(" and ", kinds.Select(k => $"'{k}'"))}"));
            return null;
        }
        var problemsBefore = problems.Count;
        string? Text(string key, bool required = false)
        {
            if (!tool.TryGetPropertyValue(key, out var value) || value is null)
            {
                if (required)
                {
                    problems.Add(new(JsonValues.Child(at, key), $"'{key}' is required"));
                }
                return null;
            }
            if (JsonValues.IsString(value, out var text) && text.Trim().Length > 0)
            {
                return text.Trim();
            }
            problems.Add(new(JsonValues.Child(at, key), $"expected text, got {JsonValues.Describe(value)}"));
            return null;
        }
        IReadOnlyList<string>? Names(string key)
        {
            if (!tool.TryGetPropertyValue(key, out var value) || value is null)
            {
                return null;
            }
            if (value is JsonArray array && array.All(v => JsonValues.IsString(v, out _)))
            {
                return array.Select(v => v!.GetValue<string>()).ToList();
            }
            problems.Add(new(JsonValues.Child(at, key), $"expected a list of names, got {JsonValues.Describe(value)}"));
            return null;
        }
        var allowed = kinds[0] switch
        {
            "step_type" => new[] { "step_type", "action", "parameters", "arguments", "name", "description" },
            "workflow" => ["workflow", "name", "description"],
            _ => ["mcp", "tools"],
        };
        foreach (var (key, _) in tool)
        {
            if (!allowed.Contains(key))
            {
                problems.Add(new(JsonValues.Child(at, key), $"unknown field '{key}'{Spelling.DidYouMean(key, allowed)}; a {kinds[0]} tool takes: {string.Join(", ", allowed)}"));
            }
        }
        var name = kinds[0] == "mcp" ? null : Text("name");
        if (name is not null && !Ids.ToolName().IsMatch(name))
        {
            problems.Add(new(JsonValues.Child(at, "name"), $"{JsonValues.Quote(name)} is not a valid tool name; use 1 to 64 letters, digits, '_' or '-'"));
        }
        var description = kinds[0] == "mcp" ? null : Text("description");

        AgentToolDefinition? definition = null;
        switch (kinds[0])
        {
            case "step_type":
                definition = ReadStep(tool, at, catalog, problems, Text("step_type"), Text("action", required: true), name, description, Names("arguments"));
                break;
            case "workflow":
                var workflowId = Text("workflow");
                if (workflowId is not null && !Ids.WorkflowId().IsMatch(workflowId))
                {
                    problems.Add(new(JsonValues.Child(at, "workflow"), $"{JsonValues.Quote(workflowId)} is not a workflow id"));
                }
                definition = new AgentToolDefinition
                {
                    Kind = AgentToolKind.Workflow, WorkflowId = workflowId, Name = name ?? workflowId?.Replace('-', '_'), Description = description,
                };
                break;
            default:
                definition = new AgentToolDefinition { Kind = AgentToolKind.Mcp, Server = Text("mcp"), ServerTools = Names("tools") };
                break;
        }
        return problems.Count > problemsBefore ? null : definition;
    }

    private static AgentToolDefinition? ReadStep(
        JsonObject tool, string at, StepCatalog catalog, List<ValidationError> problems,
        string? stepTypeName, string? actionName, string? name, string? description, IReadOnlyList<string>? arguments)
    {
        if (stepTypeName is null || actionName is null)
        {
            return null;
        }
        var stepType = catalog.Find(stepTypeName);
        if (stepType is null)
        {
            var known = catalog.Types.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
            problems.Add(new(JsonValues.Child(at, "step_type"), $"unknown step type {JsonValues.Quote(stepTypeName)}{Spelling.DidYouMean(stepTypeName, known)}; known step types: {string.Join(", ", known)}"));
            return null;
        }
        if (stepType.Name == AgentStep.TypeName)
        {
            problems.Add(new(JsonValues.Child(at, "step_type"), "an agent cannot be a single-step tool of another agent; put it in a workflow and give that workflow as the tool"));
            return null;
        }
        var action = stepType.Actions.FirstOrDefault(a => a.Name == actionName);
        if (action is null)
        {
            var known = stepType.Actions.Select(a => a.Name).ToArray();
            problems.Add(new(JsonValues.Child(at, "action"), $"step type '{stepType.Name}' has no action {JsonValues.Quote(actionName)}{Spelling.DidYouMean(actionName, known)}; its actions are: {string.Join(", ", known)}"));
            return null;
        }
        var fixedParameters = new JsonObject();
        if (tool["parameters"] is { } given)
        {
            if (given is not JsonObject parameters)
            {
                problems.Add(new(JsonValues.Child(at, "parameters"), $"expected an object of fixed parameters, got {JsonValues.Describe(given)}"));
                return null;
            }
            var declared = action.Parameters.Select(p => p.Name).ToArray();
            foreach (var (key, value) in parameters)
            {
                if (!declared.Contains(key))
                {
                    problems.Add(new(JsonValues.Child(JsonValues.Child(at, "parameters"), key), $"unknown parameter '{key}'{Spelling.DidYouMean(key, declared)}; {stepType.Name}.{action.Name} takes: {string.Join(", ", declared)}"));
                }
                fixedParameters[key] = value?.DeepClone();
            }
        }
        foreach (var argument in arguments ?? [])
        {
            var parameter = action.Parameters.FirstOrDefault(p => p.Name == argument);
            if (parameter is null || parameter.Secret || fixedParameters.ContainsKey(argument))
            {
                var why = parameter is null ? $"{stepType.Name}.{action.Name} has no parameter '{argument}'"
                    : parameter.Secret ? $"'{argument}' is a secret, which a model never fills"
                    : $"'{argument}' is fixed in 'parameters'";
                problems.Add(new(JsonValues.Child(at, "arguments"), why));
            }
        }
        return new AgentToolDefinition
        {
            Kind = AgentToolKind.Step,
            StepType = stepType.Name,
            Action = action.Name,
            Parameters = fixedParameters,
            Arguments = arguments,
            Name = name ?? $"{stepType.Name}_{action.Name}",
            Description = description,
        };
    }
}

public enum AgentToolKind
{
    Step,
    Workflow,
    Mcp,
}
