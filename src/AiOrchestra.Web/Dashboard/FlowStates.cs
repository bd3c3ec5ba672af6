using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Runs;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// Each step's state in a run's flow view, its status and a loop's progress: read from the store when the page is
/// drawn, then kept up to date from the run's live events, so the live stream can draw the view again as it changes.
/// </summary>
public sealed class FlowStates
{
    private readonly Workflow _workflow;
    private readonly Dictionary<string, (string Status, string? Progress)> _states = new(StringComparer.Ordinal);

    private FlowStates(Workflow workflow) => _workflow = workflow;

    public static async Task<FlowStates> LoadAsync(Workflow workflow, RunDetails details, RunStore runs, CancellationToken cancellationToken)
    {
        var flow = new FlowStates(workflow);
        var loops = workflow.Steps.Any(s => s.ForEach is not null)
            ? await runs.CountItemsAsync(details.Run.Id, cancellationToken)
            : new Dictionary<int, int>();
        foreach (var step in details.Steps)
        {
            string? progress = null;
            if (flow.Loops(step.StepId))
            {
                // while it runs the list's length is not stored: the live stream's progress events bring "7 of 20"
                progress = step.Status == StepStatus.Running || step.Output is null
                    ? $"{loops.GetValueOrDefault(step.Index)} done"
                    : ItemCount(JsonNode.Parse(step.Output));
            }
            flow._states[step.StepId] = (WorkflowResultJson.StatusName(step.Status), progress);
        }
        return flow;
    }

    /// <summary>Takes in one live event; true when the view changed and is worth drawing again.</summary>
    public bool Apply(RunEvent item)
    {
        if (item.StepId is not { } stepId)
        {
            return false;
        }
        var (_, progress) = _states.GetValueOrDefault(stepId);
        switch (item.Type)
        {
            case RunEvent.StepStarted:
                _states[stepId] = (WorkflowResultJson.StatusName(StepStatus.Running), progress);
                return true;
            case RunEvent.LoopProgress when item.ItemsDone is { } done && item.ItemsTotal is { } total:
                _states[stepId] = (WorkflowResultJson.StatusName(StepStatus.Running), $"{done} of {total}");
                return true;
            case RunEvent.StepFinished:
                if (Loops(stepId) && ItemCount(item.Output) is { } count)
                {
                    progress = count;
                }
                _states[stepId] = (item.Status ?? WorkflowResultJson.StatusName(StepStatus.Succeeded), progress);
                return true;
            default:
                return false;
        }
    }

    public FlowDiagram Diagram(bool outOfBand = false) => FlowDiagram.From(_workflow, _states) with { OutOfBand = outOfBand };

    private bool Loops(string stepId) => _workflow.Steps.FirstOrDefault(s => s.StepId == stepId)?.ForEach is not null;

    private static string? ItemCount(JsonNode? output) => output is JsonArray items ? $"{items.Count} items" : null;
}
