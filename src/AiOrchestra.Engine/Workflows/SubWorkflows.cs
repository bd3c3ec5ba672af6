using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;

namespace AiOrchestra.Engine.Workflows;

/// <summary>
/// The rules of sub-workflows (<c>workflow</c> steps): which workflows a workflow names, how deep runs may nest, and
/// that no workflow runs itself, directly or through others. Checked when a workflow is saved where the ids are
/// written out, and when a child run starts otherwise (an id rendered from a variable).
/// </summary>
public static class SubWorkflows
{
    public const string StepType = "workflow";
    public const string RunAction = "run";
    public const int DefaultMaxDepth = 5;
    public const string MaxDepthSetting = "Runs__MaxWorkflowDepth";

    /// <summary>
    /// The workflow ids the workflow's <c>workflow</c> steps write out (not rendered from a value), and those its agent
    /// steps have as tools, with their paths.
    /// </summary>
    public static IEnumerable<(string Path, string WorkflowId)> References(Workflow workflow) =>
        StepReferences(workflow).Concat(Steps.Agent.AgentToolDefinition.WorkflowReferences(workflow));

    private static IEnumerable<(string Path, string WorkflowId)> StepReferences(Workflow workflow)
    {
        for (var index = 0; index < workflow.Steps.Count; index++)
        {
            var step = workflow.Steps[index];
            if (step.StepType == StepType && step.Action == RunAction
                && step.Parameters["workflow_id"] is JsonValue value && JsonValues.IsString(value, out var id) && !RendersAtRunTime(id))
            {
                yield return ($"{JsonValues.Item("steps", index)}.parameters.workflow_id", id.Trim());
            }
        }
    }

    /// <summary>
    /// Why a run with <paramref name="path"/> above it (outermost first, the caller last) may not start
    /// <paramref name="workflowId"/> as a child, or null when it may.
    /// </summary>
    public static string? NestingProblem(IReadOnlyList<string> path, string workflowId, int maxDepth)
    {
        var at = -1;
        for (var i = 0; i < path.Count && at < 0; i++)
        {
            at = path[i] == workflowId ? i : -1;
        }
        if (at >= 0)
        {
            return $"workflow '{workflowId}' is already running above this step ({Chain(path.Skip(at).Append(workflowId))}): a workflow cannot run itself, directly or through others";
        }
        if (path.Count > maxDepth)
        {
            return $"sub-workflows would nest {path.Count} deep ({Chain(path.Append(workflowId))}), over the limit of {maxDepth} ({MaxDepthSetting})";
        }
        return null;
    }

    /// <summary>
    /// What saving <paramref name="workflow"/> would break, seen through the owner's <paramref name="stored"/> workflows
    /// (by id; the one being saved is taken as it is now): a named workflow that does not exist, a chain that comes back
    /// to this workflow, a chain of sub-workflows deeper than <paramref name="maxDepth"/>. Naming itself directly is the
    /// validator's error already. Only chains up to <paramref name="maxDepth"/> + 1 deep are followed.
    /// </summary>
    public static IReadOnlyList<ValidationError> ChainProblems(Workflow workflow, IReadOnlyDictionary<string, Workflow> stored, int maxDepth)
    {
        var errors = new List<ValidationError>();
        foreach (var (path, target) in References(workflow))
        {
            if (target == workflow.WorkflowId || !Ids.WorkflowId().IsMatch(target))
            {
                continue;
            }
            if (!stored.ContainsKey(target))
            {
                errors.Add(new(path, $"there is no workflow '{target}' among yours; save it first, or check the id"));
                continue;
            }
            var chain = new List<string> { workflow.WorkflowId, target };
            var problem = Follow(workflow.WorkflowId, chain, stored, maxDepth);
            if (problem is not null)
            {
                errors.Add(new(path, problem));
            }
        }
        return errors;
    }

    /// <summary>The first problem on the chains below the chain's last workflow, depth first.</summary>
    private static string? Follow(string root, List<string> chain, IReadOnlyDictionary<string, Workflow> stored, int maxDepth)
    {
        if (chain.Count - 1 > maxDepth)
        {
            return $"it starts a chain of sub-workflows {chain.Count - 1} deep ({Chain(chain)}), over the limit of {maxDepth} ({MaxDepthSetting})";
        }
        if (!stored.TryGetValue(chain[^1], out var current))
        {
            return null; // a workflow further down names one that is gone: its own runs report it
        }
        foreach (var (_, next) in References(current))
        {
            if (next == root)
            {
                return $"'{chain[^1]}' runs '{root}' again ({Chain(chain.Append(root))}): a workflow cannot run itself, directly or through others";
            }
            if (chain.Contains(next))
            {
                continue; // a loop among the others: theirs to report when they are saved or run
            }
            chain.Add(next);
            var problem = Follow(root, chain, stored, maxDepth);
            chain.RemoveAt(chain.Count - 1);
            if (problem is not null)
            {
                return problem;
            }
        }
        return null;
    }

    private static string Chain(IEnumerable<string> ids) => string.Join(" → ", ids);

    private static bool RendersAtRunTime(string text)
    {
        try
        {
            return Template.Parse(text).HasReferences;
        }
        catch (TemplateException)
        {
            return true;
        }
    }
}
