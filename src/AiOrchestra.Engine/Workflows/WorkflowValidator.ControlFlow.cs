using System.Text.Json.Nodes;
using AiOrchestra.Engine.Expressions;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Workflows;

/// <summary>Checks of <c>when</c>, <c>for_each</c>, <c>concurrency</c>, <c>depends_on</c> and <c>next_step</c>.</summary>
public sealed partial class WorkflowValidator
{
    /// <summary>Inside a for_each step's parameters, <c>{{item}}</c> is the current item and <c>{{item_index}}</c> its place (from 0).</summary>
    internal static bool IsItemName(string name) => name is "item" or "item_index";

    private static void CheckControlFlow(Workflow workflow, int index, Dictionary<string, int> indexById, string path, List<ValidationError> errors)
    {
        var step = workflow.Steps[index];
        CheckWhen(workflow, index, indexById, path + ".when", errors);
        CheckForEach(workflow, index, indexById, path, errors);
        CheckDependsOn(workflow, index, indexById, path + ".depends_on", errors);
        CheckNextStep(workflow, index, indexById, path + ".next_step", errors);
        if (workflow.Variables.Keys.FirstOrDefault(IsItemName) is { } shadowed && step.ForEach is not null)
        {
            errors.Add(new(path + ".for_each", $"the variable '{shadowed}' has the name a for_each step gives its current item; rename the variable"));
        }
    }

    private static void CheckWhen(Workflow workflow, int index, Dictionary<string, int> indexById, string path, List<ValidationError> errors)
    {
        if (workflow.Steps[index].When is not { } text)
        {
            return;
        }
        Condition condition;
        try
        {
            condition = Condition.Parse(text);
        }
        catch (ConditionException e)
        {
            errors.Add(new(path, e.Message));
            return;
        }
        foreach (var reference in condition.References)
        {
            if (workflow.Steps[index].ForEach is not null && IsItemName(reference.Name))
            {
                continue;
            }
            if (ReferenceProblem(workflow, index, indexById, reference.Name) is { } problem)
            {
                errors.Add(new(path, $"at position {reference.Position}: {problem}"));
            }
        }
    }

    private static void CheckForEach(Workflow workflow, int index, Dictionary<string, int> indexById, string path, List<ValidationError> errors)
    {
        var step = workflow.Steps[index];
        if (step.Concurrency is { } concurrency)
        {
            if (step.ForEach is null)
            {
                errors.Add(new(path + ".concurrency", "concurrency says how many items of a for_each run at once; add \"for_each\" or remove it"));
            }
            else if (concurrency is < 1 or > WorkflowLimits.MaxLoopConcurrency)
            {
                errors.Add(new(path + ".concurrency", $"must be between 1 and {WorkflowLimits.MaxLoopConcurrency} items at once, got {concurrency}"));
            }
        }
        var forEachPath = path + ".for_each";
        switch (step.ForEach)
        {
            case null or JsonArray:
                return;
            case var value when JsonValues.IsString(value, out var text):
                Template template;
                try
                {
                    template = Template.Parse(text);
                }
                catch (TemplateException e)
                {
                    errors.Add(new(forEachPath, e.Message));
                    return;
                }
                if (!template.IsSingleReference)
                {
                    errors.Add(new(forEachPath, $"expected one reference to a list, such as \"{{{{fetch_output}}}}\", got {JsonValues.Describe(value)}"));
                    return;
                }
                foreach (var reference in template.References)
                {
                    if (ReferenceProblem(workflow, index, indexById, reference.Name) is { } problem)
                    {
                        errors.Add(new(forEachPath, problem));
                    }
                }
                return;
            default:
                errors.Add(new(forEachPath, $"expected a list [...] or one reference to a list, such as \"{{{{fetch_output}}}}\", got {JsonValues.Describe(step.ForEach)}"));
                return;
        }
    }

    private static void CheckDependsOn(Workflow workflow, int index, Dictionary<string, int> indexById, string path, List<ValidationError> errors)
    {
        if (workflow.Steps[index].DependsOn is not { } dependsOn)
        {
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var k = 0; k < dependsOn.Count; k++)
        {
            var id = dependsOn[k];
            var itemPath = JsonValues.Item(path, k);
            if (!seen.Add(id))
            {
                errors.Add(new(itemPath, $"'{id}' is listed twice; keep one"));
            }
            else if (!indexById.TryGetValue(id, out var target))
            {
                var earlier = workflow.Steps.Take(index).Select(s => s.StepId).ToArray();
                errors.Add(new(itemPath, $"unknown step {JsonValues.Quote(id)}{Spelling.DidYouMean(id, earlier)}; depends_on names earlier steps of this workflow"));
            }
            else if (target == index)
            {
                errors.Add(new(itemPath, $"a step cannot wait for itself; remove '{id}'"));
            }
            else if (target > index)
            {
                errors.Add(new(itemPath, $"step '{id}' (steps[{target}]) comes after this one; depends_on names earlier steps, so move step '{id}' before this one"));
            }
        }
    }

    private static void CheckNextStep(Workflow workflow, int index, Dictionary<string, int> indexById, string path, List<ValidationError> errors)
    {
        var step = workflow.Steps[index];
        if (!step.NextStepWritten)
        {
            return;
        }
        // as the original AI-Orchestra ran them: from the first step, following next_step until null; a step the chain
        // jumps past is not run (it is recorded as skipped)
        if (step.NextStep is null)
        {
            return;
        }
        if (!indexById.TryGetValue(step.NextStep, out var target))
        {
            errors.Add(new(path, $"unknown step {JsonValues.Quote(step.NextStep)}{Spelling.DidYouMean(step.NextStep, indexById.Keys)}"));
        }
        else if (target <= index)
        {
            errors.Add(new(path, $"'{step.NextStep}' is not listed after this step: next_step may only go forward (a chain that comes back would loop for ever); name a later step, or null to end the run"));
        }
        else if (target != index + 1 && workflow.Steps.Any(s => s.DependsOn is { Count: > 0 }))
        {
            errors.Add(new(path, $"next_step jumps past '{workflow.Steps[index + 1].StepId}', and this workflow also orders steps with depends_on; use one of the two"));
        }
    }

    /// <summary>
    /// True when step <paramref name="index"/> runs only after step <paramref name="earlier"/>: through depends_on, or,
    /// for a step without it, through the step before. Without any depends_on every earlier step qualifies.
    /// </summary>
    private static bool WaitsFor(Workflow workflow, int index, int earlier)
    {
        if (!workflow.Steps.Any(s => s.DependsOn is not null))
        {
            return true;
        }
        var ids = workflow.Steps.Select((s, i) => (s.StepId, i)).GroupBy(p => p.StepId).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        var visited = new HashSet<int>();
        var pending = new Stack<int>();
        pending.Push(index);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            foreach (var dependency in Dependencies(workflow, current, ids))
            {
                if (dependency == earlier)
                {
                    return true;
                }
                if (dependency > earlier && visited.Add(dependency))
                {
                    pending.Push(dependency);
                }
            }
        }
        return false;
    }

    /// <summary>The steps <paramref name="index"/> waits for directly (only earlier ones; the others are errors of their own).</summary>
    internal static IEnumerable<int> Dependencies(Workflow workflow, int index, IReadOnlyDictionary<string, int> ids)
    {
        if (workflow.Steps[index].DependsOn is { } dependsOn)
        {
            foreach (var id in dependsOn)
            {
                if (ids.TryGetValue(id, out var target) && target < index)
                {
                    yield return target;
                }
            }
        }
        else if (index > 0)
        {
            yield return index - 1;
        }
    }

    private static string NotWaitedFor(Workflow workflow, int index, string name, string stepId) =>
        $"'{name}' is the output of step '{stepId}', which this step does not wait for (it may still be running); add \"{stepId}\" to this step's depends_on";

    /// <summary>The values an on_failure handler's variables may read.</summary>
    public static readonly IReadOnlyList<string> FailedRunFields = ["id", "workflow_id", "error", "failed_step"];

    /// <summary>A workflow step naming the workflow itself; chains through other workflows need the store (<see cref="SubWorkflows.ChainProblems"/>).</summary>
    private static void CheckSubWorkflows(Workflow workflow, List<ValidationError> errors)
    {
        foreach (var (path, target) in SubWorkflows.References(workflow))
        {
            if (target == workflow.WorkflowId)
            {
                errors.Add(new(path, $"workflow '{target}' would run itself as its own sub-workflow, again and again; name another workflow"));
            }
        }
    }

    private static void CheckOnFailure(Workflow workflow, List<ValidationError> errors)
    {
        if (workflow.OnFailure is not { } handler)
        {
            return;
        }
        if (!Ids.WorkflowId().IsMatch(handler.WorkflowId))
        {
            errors.Add(new("on_failure.workflow_id", $"{JsonValues.Quote(handler.WorkflowId)} is not a valid workflow id; use 1 to {WorkflowLimits.MaxIdLength} lowercase letters, digits, '_' or '-'"));
        }
        else if (handler.WorkflowId == workflow.WorkflowId)
        {
            errors.Add(new("on_failure.workflow_id", "a workflow cannot be its own failure handler (a failing handler would start itself again); name another workflow"));
        }
        foreach (var (stringPath, text) in Strings(handler.Variables, "on_failure.variables"))
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
                if (reference.Name != "failed_run")
                {
                    errors.Add(new(stringPath, $"unknown variable '{reference.Name}'; a failure handler's variables read only {string.Join(", ", FailedRunFields.Select(f => $"{{{{failed_run.{f}}}}}"))}"));
                }
                else if (reference.Path is not [string field] || !FailedRunFields.Contains(field))
                {
                    errors.Add(new(stringPath, $"'{reference.Text}' is not known; use one of {string.Join(", ", FailedRunFields.Select(f => $"failed_run.{f}"))}"));
                }
            }
        }
    }
}
