using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Workflows;

/// <summary>Checks a workflow against the step catalog and the rules of the format; reports every error at once.</summary>
public sealed partial class WorkflowValidator(StepCatalog catalog)
{
    internal StepCatalog Catalog { get; } = catalog;

    /// <summary>
    /// Every problem that would stop the workflow from running as written: ids, step types, actions,
    /// parameters and their types, template syntax, references to unknown variables or later steps, limits.
    /// An empty list means the workflow may be saved and run.
    /// </summary>
    public IReadOnlyList<ValidationError> Validate(Workflow workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        var errors = new List<ValidationError>();
        if (!Ids.WorkflowId().IsMatch(workflow.WorkflowId))
        {
            errors.Add(new("workflow_id", $"{JsonValues.Quote(workflow.WorkflowId)} is not a valid workflow id; use 1 to {WorkflowLimits.MaxIdLength} lowercase letters, digits, '_' or '-', e.g. \"email_digest\""));
        }
        CheckValues(workflow.Variables, "variable", errors);
        CheckSteps(workflow, errors);
        CheckOnFailure(workflow, errors);
        CheckSubWorkflows(workflow, errors);
        CheckTriggers(workflow, errors);
        if (workflow.Mcp?.ToolName is { } toolName && !Ids.ToolName().IsMatch(toolName))
        {
            errors.Add(new("mcp.tool_name", $"{JsonValues.Quote(toolName)} is not a valid tool name; use 1 to {WorkflowLimits.MaxIdLength} letters, digits, '_' or '-', e.g. \"triage_email\""));
        }
        return errors;
    }

    /// <summary>
    /// Every error of a file at once: the reader's, then the validator's on the workflow read (best effort). A
    /// validator error at or below a path the reader already reported is left out: the reader's is the cause.
    /// </summary>
    public IReadOnlyList<ValidationError> Validate(WorkflowParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        if (parsed.Workflow is null)
        {
            return parsed.Errors;
        }
        var errors = parsed.Errors.ToList();
        foreach (var error in Validate(parsed.Workflow))
        {
            if (!parsed.Errors.Any(e => Covers(e.Path, error.Path)))
            {
                errors.Add(error);
            }
        }
        return errors;
    }

    private static bool Covers(string readerPath, string path) =>
        path == readerPath
        || (readerPath.Length > 0 && path.StartsWith(readerPath, StringComparison.Ordinal) && path[readerPath.Length] is '.' or '[');

    /// <summary>
    /// Checks a run's inputs before the run is queued: valid names, at most <see cref="WorkflowLimits.MaxVariables"/>
    /// of them, each value within <see cref="WorkflowLimits.MaxVariableValueBytes"/> and <see cref="WorkflowLimits.MaxDepth"/>,
    /// and only the variables the workflow declares: nothing could refer to others, so they are almost always misspelt
    /// names. Paths are <c>variables.&lt;name&gt;</c>, as in the body of a run request.
    /// </summary>
    public static IReadOnlyList<ValidationError> ValidateInputs(Workflow workflow, IReadOnlyDictionary<string, JsonNode?> inputs) =>
        ValidateInputs(workflow, inputs, acceptUndeclared: false);

    /// <summary>
    /// As <see cref="ValidateInputs(Workflow, IReadOnlyDictionary{string, JsonNode?})"/>; with
    /// <paramref name="acceptUndeclared"/>, inputs the workflow does not declare are merged in as the original
    /// AI-Orchestra's execute did (their names and sizes are still checked).
    /// </summary>
    public static IReadOnlyList<ValidationError> ValidateInputs(Workflow workflow, IReadOnlyDictionary<string, JsonNode?> inputs, bool acceptUndeclared)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(inputs);
        var errors = new List<ValidationError>();
        CheckValues(inputs, "input", errors);
        if (errors.Count > 0 && errors[0].Path == "variables")
        {
            return errors;
        }
        // a workflow with triggers also takes what started the run as {{trigger...}}
        foreach (var name in inputs.Keys.Where(name => !acceptUndeclared && !workflow.Variables.ContainsKey(name) && !IsTriggerVariable(workflow, name)))
        {
            var declared = workflow.Variables.Count == 0
                ? "it declares no variables"
                : $"its variables are: {string.Join(", ", workflow.Variables.Keys)}";
            errors.Add(new(JsonValues.Child("variables", name), $"workflow '{workflow.WorkflowId}' has no variable {JsonValues.Quote(name)}{Spelling.DidYouMean(name, workflow.Variables.Keys)}; {declared}"));
        }
        return errors;
    }

    private static void CheckValues(IReadOnlyDictionary<string, JsonNode?> values, string noun, List<ValidationError> errors)
    {
        if (values.Count > WorkflowLimits.MaxVariables)
        {
            errors.Add(new("variables", $"{values.Count} {noun}s given, over the limit of {WorkflowLimits.MaxVariables}; pass related values together as one object"));
            return;
        }
        foreach (var (name, value) in values)
        {
            var path = JsonValues.Child("variables", name);
            if (!Ids.Name().IsMatch(name))
            {
                errors.Add(new(path, $"{JsonValues.Quote(name)} is not a valid {noun} name; use 1 to {WorkflowLimits.MaxIdLength} letters, digits or '_', so that {{{{name}}}} can refer to it"));
            }
            if (DeeperThan(value, WorkflowLimits.MaxDepth))
            {
                errors.Add(new(path, $"the value nests objects and arrays deeper than {WorkflowLimits.MaxDepth} levels; flatten it"));
                continue;
            }
            var size = SizeOf(value);
            if (size > WorkflowLimits.MaxVariableValueBytes)
            {
                errors.Add(new(path, $"the value is {JsonValues.Size(size)}, over the limit of {JsonValues.Size(WorkflowLimits.MaxVariableValueBytes)} per {noun}; pass large content by reference, e.g. a URL the workflow fetches with an http step"));
            }
        }
    }

    private void CheckSteps(Workflow workflow, List<ValidationError> errors)
    {
        var steps = workflow.Steps;
        if (steps.Count == 0)
        {
            errors.Add(new("steps", "a workflow needs at least one step"));
            return;
        }
        if (steps.Count > WorkflowLimits.MaxSteps)
        {
            errors.Add(new("steps", $"the workflow has {steps.Count} steps, over the limit of {WorkflowLimits.MaxSteps}; split it into smaller workflows"));
            return;
        }
        // The first step with an id is the one its output name refers to; later duplicates are errors.
        var indexById = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var index = 0; index < steps.Count; index++)
        {
            indexById.TryAdd(steps[index].StepId, index);
        }
        for (var index = 0; index < steps.Count; index++)
        {
            var path = JsonValues.Item("steps", index);
            CheckStepId(workflow, index, indexById, path, errors);
            CheckAction(steps[index], path, errors);
            CheckReferences(workflow, index, indexById, path, errors);
            CheckFailureHandling(steps[index], path, errors);
            CheckControlFlow(workflow, index, indexById, path, errors);
        }
    }

    private static void CheckStepId(Workflow workflow, int index, Dictionary<string, int> indexById, string path, List<ValidationError> errors)
    {
        var id = workflow.Steps[index].StepId;
        var idPath = path + ".step_id";
        if (!Ids.Name().IsMatch(id))
        {
            errors.Add(new(idPath, $"{JsonValues.Quote(id)} is not a valid step id; use 1 to {WorkflowLimits.MaxIdLength} letters, digits or '_', e.g. \"summarize\""));
        }
        if (indexById[id] != index)
        {
            errors.Add(new(idPath, $"'{id}' is already the id of steps[{indexById[id]}]; give each step its own id"));
            return;
        }
        if (workflow.Variables.ContainsKey(id))
        {
            errors.Add(new(idPath, $"'{id}' is also the name of a variable, so {{{{{id}}}}} would be ambiguous; rename the step or the variable"));
        }
        if (workflow.Variables.ContainsKey(id + "_output"))
        {
            errors.Add(new(idPath, $"the variable '{id}_output' has the name this step's output is read by; rename the step or the variable"));
        }
    }

    private void CheckAction(WorkflowStep step, string path, List<ValidationError> errors)
    {
        var stepType = Catalog.Find(step.StepType);
        if (stepType is null)
        {
            var known = Catalog.Types.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
            var list = known.Length == 0 ? "no step types are installed" : $"known step types: {string.Join(", ", known)}";
            errors.Add(new(path + ".step_type", $"unknown step type {JsonValues.Quote(step.StepType)}{Spelling.DidYouMean(step.StepType, known)}; {list}"));
            return;
        }
        var action = stepType.Actions.FirstOrDefault(a => a.Name == step.Action);
        if (action is null)
        {
            var known = stepType.Actions.Select(a => a.Name).ToArray();
            errors.Add(new(path + ".action", $"step type '{stepType.Name}' has no action {JsonValues.Quote(step.Action)}{Spelling.DidYouMean(step.Action, known)}; its actions are: {string.Join(", ", known)}"));
            return;
        }
        CheckParameters(step, $"{stepType.Name}.{action.Name}", action.Parameters, path + ".parameters", errors);
        errors.AddRange(stepType.CheckParameters(action.Name, step.Parameters, path + ".parameters"));
        if (stepType is IWaitingStepType && step.ForEach is not null)
        {
            errors.Add(new(path + ".for_each", $"{(stepType.Name.StartsWith('a') ? "an" : "a")} {stepType.Name} step pauses the whole run, so it cannot loop over items; put it before or after the loop"));
        }
    }

    private static void CheckParameters(WorkflowStep step, string actionName, IReadOnlyList<StepParameter> declared, string path, List<ValidationError> errors)
    {
        foreach (var parameter in declared)
        {
            var parameterPath = JsonValues.Child(path, parameter.Name);
            step.Parameters.TryGetPropertyValue(parameter.Name, out var value);
            if (value is null)
            {
                if (parameter.Required)
                {
                    var about = parameter.Description.Length == 0 ? "" : $" ({parameter.Description.TrimEnd('.')})";
                    errors.Add(new(parameterPath, $"required parameter '{parameter.Name}' of {actionName} is missing{about}"));
                }
                continue;
            }
            if (!HasType(value, parameter.Type) && !RendersAtRunTime(value))
            {
                errors.Add(new(parameterPath, $"expected {Expected(parameter.Type)}, got {JsonValues.Describe(value)}"));
            }
            else if (parameter.Type == ParameterType.JsonSchema && value is JsonObject schema)
            {
                foreach (var (schemaPath, message) in OutputSchema.Problems(schema))
                {
                    var at = schemaPath.Length == 0 ? parameterPath : $"{parameterPath}.{schemaPath}";
                    errors.Add(new(at, $"not a valid JSON Schema: {message}"));
                }
            }
        }
        var names = declared.Select(p => p.Name).ToArray();
        foreach (var (name, _) in step.Parameters)
        {
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                var allowed = names.Length == 0 ? $"{actionName} takes no parameters" : $"{actionName} takes: {string.Join(", ", names)}";
                errors.Add(new(JsonValues.Child(path, name), $"unknown parameter '{name}'{Spelling.DidYouMean(name, names)}; {allowed}"));
            }
        }
    }

    private static void CheckReferences(Workflow workflow, int index, Dictionary<string, int> indexById, string path, List<ValidationError> errors)
    {
        var step = workflow.Steps[index];
        foreach (var (stringPath, text) in Strings(step.Parameters, path + ".parameters"))
        {
            Template template;
            try
            {
                template = Template.Parse(text);
            }
            catch (TemplateException e)
            {
                errors.Add(new(stringPath, e.Message));
                continue;
            }
            foreach (var reference in template.References)
            {
                if (step.ForEach is not null && IsItemName(reference.Name))
                {
                    continue;
                }
                var problem = ReferenceProblem(workflow, index, indexById, reference.Name);
                if (problem is not null)
                {
                    errors.Add(new(stringPath, problem));
                }
            }
        }
    }

    /// <summary>
    /// Where a later step reads a path into the output of step <paramref name="stepId"/> (<c>{{stepId_output.a.b}}</c> in
    /// its parameters or <c>for_each</c>) that <paramref name="output"/> does not have: the parameter's path and what is
    /// missing. Used to refuse a pinned output that would fail the steps reading it.
    /// </summary>
    public static IReadOnlyList<ValidationError> OutputPathProblems(Workflow workflow, string stepId, JsonNode? output)
    {
        var errors = new List<ValidationError>();
        var start = workflow.Steps.ToList().FindIndex(s => s.StepId == stepId);
        for (var index = start + 1; start >= 0 && index < workflow.Steps.Count; index++)
        {
            var step = workflow.Steps[index];
            var path = $"steps[{index}]";
            var found = new List<(string Path, TemplateReference Reference)>();
            try
            {
                found.AddRange(Template.FindReferences(step.Parameters, path + ".parameters"));
                found.AddRange(Template.FindReferences(step.ForEach, path + ".for_each"));
            }
            catch (TemplateException)
            {
                // a template that does not parse is the workflow validator's to report, not the pin's
                continue;
            }
            foreach (var (at, reference) in found)
            {
                if (reference.Path.Count == 0 || (reference.Name != stepId && reference.Name != stepId + "_output"))
                {
                    continue;
                }
                try
                {
                    reference.Resolve(new Dictionary<string, JsonNode?> { [reference.Name] = output });
                }
                catch (TemplateException e)
                {
                    errors.Add(new(at, $"step '{step.StepId}' reads {{{{{reference.Text}}}}}, but {e.Message}"));
                }
            }
        }
        return errors;
    }

    /// <summary>Null when the name is a variable or the output of an earlier step; otherwise what is wrong.</summary>
    private static string? ReferenceProblem(Workflow workflow, int index, Dictionary<string, int> indexById, string name)
    {
        if (workflow.Variables.ContainsKey(name) || IsTriggerVariable(workflow, name))
        {
            return null;
        }
        var stepId = indexById.ContainsKey(name) ? name
            : name.EndsWith("_output", StringComparison.Ordinal) && indexById.ContainsKey(name[..^"_output".Length]) ? name[..^"_output".Length]
            : null;
        if (stepId is not null)
        {
            var stepIndex = indexById[stepId];
            if (stepIndex < index)
            {
                return WaitsFor(workflow, index, stepIndex) ? null : NotWaitedFor(workflow, index, name, stepId);
            }
            var current = workflow.Steps[index].StepId;
            if (stepIndex == index)
            {
                return $"'{name}' is the output of this step itself, which does not exist while it runs; use a variable or the output of an earlier step";
            }
            return $"'{name}' is the output of step '{stepId}' (steps[{stepIndex}]), which runs after this one; move step '{stepId}' before step '{current}', or use a variable instead";
        }
        var known = workflow.Variables.Keys
            .Concat(workflow.Steps.Take(index).SelectMany(s => new[] { s.StepId + "_output", s.StepId }))
            .ToArray();
        var suggestion = Spelling.DidYouMean(name, known);
        return suggestion.Length > 0
            ? $"unknown variable '{name}'{suggestion}"
            : $"unknown variable '{name}'; declare it under \"variables\" (a run's inputs override the default), or read an earlier step's output as {{{{<step_id>_output}}}}";
    }

    private static bool IsTriggerVariable(Workflow workflow, string name) =>
        name == WorkflowTrigger.Variable && workflow.Triggers.Count > 0;

    private static void CheckFailureHandling(WorkflowStep step, string path, List<ValidationError> errors)
    {
        if (step.TimeoutSeconds is { } timeout && timeout is < 1 or > WorkflowLimits.MaxTimeoutSeconds)
        {
            errors.Add(new(path + ".timeout_seconds", $"must be between 1 and {WorkflowLimits.MaxTimeoutSeconds} seconds, got {timeout}"));
        }
        if (step.Retry is not { } retry)
        {
            return;
        }
        var retryPath = path + ".retry";
        if (retry.MaxAttempts is < 1 or > WorkflowLimits.MaxRetryAttempts)
        {
            errors.Add(new(retryPath + ".max_attempts", $"must be between 1 and {WorkflowLimits.MaxRetryAttempts}, got {retry.MaxAttempts}; 1 means no retry"));
        }
        var delaysValid = true;
        foreach (var (field, delay) in new[] { ("initial_delay_ms", retry.InitialDelayMs), ("max_delay_ms", retry.MaxDelayMs) })
        {
            if (delay is < 0 or > WorkflowLimits.MaxRetryDelayMs)
            {
                errors.Add(new($"{retryPath}.{field}", $"must be between 0 and {WorkflowLimits.MaxRetryDelayMs} milliseconds, got {delay}"));
                delaysValid = false;
            }
        }
        if (delaysValid && retry.MaxDelayMs < retry.InitialDelayMs)
        {
            errors.Add(new(retryPath + ".max_delay_ms", $"is {retry.MaxDelayMs}, shorter than initial_delay_ms ({retry.InitialDelayMs}); make it at least {retry.InitialDelayMs}"));
        }
    }

    /// <summary>Every string inside a JSON value with its path; only strings hold templates.</summary>
    private static IEnumerable<(string Path, string Text)> Strings(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    foreach (var found in Strings(value, JsonValues.Child(path, key)))
                    {
                        yield return found;
                    }
                }
                break;
            case JsonArray array:
                for (var index = 0; index < array.Count; index++)
                {
                    foreach (var found in Strings(array[index], JsonValues.Item(path, index)))
                    {
                        yield return found;
                    }
                }
                break;
            default:
                if (JsonValues.IsString(node, out var text))
                {
                    yield return (path, text);
                }
                break;
        }
    }

    private static bool HasType(JsonNode value, ParameterType type) => type switch
    {
        ParameterType.Any => true,
        ParameterType.Object or ParameterType.JsonSchema => value is JsonObject,
        ParameterType.Array => value is JsonArray,
        ParameterType.String => JsonValues.IsString(value, out _),
        ParameterType.Integer => JsonValues.IsWholeNumber(value),
        ParameterType.Number => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        ParameterType.Boolean => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        _ => false,
    };

    /// <summary>A string holding a {{ }} reference may render to any type, so its type is only known at run time.</summary>
    private static bool RendersAtRunTime(JsonNode value)
    {
        if (!JsonValues.IsString(value, out var text) || !text.Contains("{{", StringComparison.Ordinal))
        {
            return false;
        }
        try
        {
            return Template.Parse(text).HasReferences;
        }
        catch (TemplateException)
        {
            // The syntax error is reported at this path by the reference check; one error per mistake is enough.
            return true;
        }
    }

    private static string Expected(ParameterType type) => type switch
    {
        ParameterType.String => "a string",
        ParameterType.Integer => "a whole number",
        ParameterType.Number => "a number",
        ParameterType.Boolean => "true or false",
        ParameterType.Object => "an object {...}",
        ParameterType.Array => "a list [...]",
        ParameterType.JsonSchema => "a JSON Schema object {\"type\": ...}",
        _ => "a JSON value",
    };

    private static long SizeOf(JsonNode? value)
    {
        if (JsonValues.IsString(value, out var text))
        {
            // Counting the text avoids serialising a large string just to measure it; quotes and escapes add little.
            return Encoding.UTF8.GetByteCount(text);
        }
        return value is null ? 4 : JsonSerializer.SerializeToUtf8Bytes(value).LongLength;
    }

    private static bool DeeperThan(JsonNode? node, int levels) => node switch
    {
        JsonObject obj => levels == 0 || obj.Any(p => DeeperThan(p.Value, levels - 1)),
        JsonArray array => levels == 0 || array.Any(item => DeeperThan(item, levels - 1)),
        _ => false,
    };
}
