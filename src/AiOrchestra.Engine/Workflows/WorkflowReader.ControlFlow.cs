using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Workflows;

/// <summary>The step fields of control flow: <c>when</c>, <c>for_each</c>, <c>concurrency</c>, <c>depends_on</c>, <c>next_step</c>.</summary>
internal sealed partial class WorkflowReader
{
    private WorkflowStep ReadControlFlow(Dictionary<string, (JsonNode? Value, string Path)> fields, WorkflowStep step)
    {
        var hasNextStep = fields.TryGetValue("next_step", out var nextStep);
        if (hasNextStep && nextStep.Value is not null && !JsonValues.IsString(nextStep.Value, out _))
        {
            Error(nextStep.Path, $"expected the id of the step that runs next, or null to end the run, got {JsonValues.Describe(nextStep.Value)}");
        }
        fields.TryGetValue("for_each", out var forEach);
        return step with
        {
            // the condition's own syntax is checked by the validator, which can say where in the text the mistake is
            When = OptionalString(fields, "when"),
            ForEach = forEach.Value?.DeepClone(),
            Concurrency = OptionalInt(fields, "concurrency", "a whole number of items run at once"),
            DependsOn = ReadDependsOn(fields),
            NextStep = hasNextStep && JsonValues.IsString(nextStep.Value, out var next) ? next : null,
            NextStepWritten = hasNextStep,
        };
    }

    private List<string>? ReadDependsOn(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        if (!fields.TryGetValue("depends_on", out var found) || found.Value is null)
        {
            return null;
        }
        if (found.Value is not JsonArray array)
        {
            Error(found.Path, $"expected a list of earlier step ids such as [\"fetch\", \"triage\"], got {JsonValues.Describe(found.Value)}");
            return null;
        }
        var ids = new List<string>(array.Count);
        for (var index = 0; index < array.Count; index++)
        {
            if (JsonValues.IsString(array[index], out var id))
            {
                ids.Add(id);
            }
            else
            {
                Error(JsonValues.Item(found.Path, index), $"expected a step id, got {JsonValues.Describe(array[index])}");
            }
        }
        return ids;
    }

    private static readonly Field[] OnFailureFields = [new("workflow_id"), new("variables")];

    private FailureHandler? ReadOnFailure(Dictionary<string, (JsonNode? Value, string Path)> fields)
    {
        if (!fields.TryGetValue("on_failure", out var found) || found.Value is null)
        {
            return null;
        }
        if (found.Value is not JsonObject obj)
        {
            Error(found.Path, $"expected an object such as {{\"workflow_id\": \"alert\", \"variables\": {{\"message\": \"{{{{failed_run.error}}}}\"}}}}, got {JsonValues.Describe(found.Value)}");
            return null;
        }
        var handler = ReadFields(obj, found.Path, "on_failure", OnFailureFields);
        var workflowId = RequiredString(handler, found.Path, "workflow_id", "name the workflow to start when a run fails, e.g. \"workflow_id\": \"alert\"");
        JsonObject? variables = null;
        if (handler.TryGetValue("variables", out var given) && given.Value is not null)
        {
            if (given.Value is JsonObject values)
            {
                variables = (JsonObject)values.DeepClone();
            }
            else
            {
                Error(given.Path, $"expected an object of the handler's inputs such as {{\"message\": \"{{{{failed_run.error}}}}\"}}, got {JsonValues.Describe(given.Value)}");
            }
        }
        return new FailureHandler { WorkflowId = workflowId ?? "", Variables = variables ?? [], VariablesWritten = handler.ContainsKey("variables") };
    }
}
