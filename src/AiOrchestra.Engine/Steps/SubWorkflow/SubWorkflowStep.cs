using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Steps.SubWorkflow;

/// <summary>
/// <c>workflow</c> <c>run</c> {workflow_id, variables}: runs another workflow of the same owner as a linked child run
/// (through <see cref="IChildRuns"/>); the child's outputs by step id are this step's output. A child that fails fails
/// the step with its reason and run id; with <c>retry</c> each attempt starts a fresh child (a cancelled child or one that
/// could not start is not retried). The depth limit and the cycle check apply before anything starts.
/// </summary>
public sealed class SubWorkflowStep(IChildRuns children, int maxDepth = SubWorkflows.DefaultMaxDepth) : IStepType
{
    public string Name => SubWorkflows.StepType;

    public string Description => "Runs another of your workflows as a child run; its outputs by step id are this step's output.";

    public bool RunsOtherSteps => true;

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new(SubWorkflows.RunAction, "Run a workflow of yours as a linked child run and wait for it.",
        [
            new("workflow_id", ParameterType.String, true, "The id of the workflow to run (one of yours)."),
            new("variables", ParameterType.Object, false, "The child run's inputs; they override its variables."),
        ]),
    ];

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var context = call.Context;
        var workflowId = StepParameters.RequiredText(call.Parameters, "workflow_id").Trim();
        if (!Ids.WorkflowId().IsMatch(workflowId))
        {
            throw new StepFailedException($"parameter 'workflow_id': {JsonValues.Quote(workflowId)} is not a workflow id (lowercase letters, digits, '_' or '-')");
        }
        var request = ChildRun.For(context, workflowId, Inputs(StepParameters.Object(call.Parameters, "variables"))) with { Attempt = context.Attempt };
        if (SubWorkflows.NestingProblem(request.Path, workflowId, maxDepth) is { } problem)
        {
            throw new StepFailedException(problem);
        }
        var result = await children.RunAsync(request, cancellationToken);
        if (result.Succeeded)
        {
            return result.Outputs ?? [];
        }
        if (result.RunId is null)
        {
            throw new StepFailedException(result.Error ?? $"workflow '{workflowId}' could not be started");
        }
        // a failed child is worth another attempt when the step asks for retries (a fresh child); a cancelled one is not
        throw new StepFailedException($"child run {result.RunId} of workflow '{workflowId}' did not succeed: {result.Error}", transient: !result.Cancelled);
    }

    private static Dictionary<string, JsonNode?> Inputs(JsonObject? variables)
    {
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, value) in variables ?? [])
        {
            inputs[name] = value?.DeepClone();
        }
        return inputs;
    }
}
