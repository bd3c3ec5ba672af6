using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Pages.Workflows;

/// <summary>
/// One step's control flow as the flow view edits it in place: when it runs, what it loops over, and which earlier
/// steps it waits for (the arrows into its box, one checkbox each).
/// </summary>
public sealed class FlowStepForm
{
    public string? When { get; set; }
    public string? ForEach { get; set; }
    public int? Concurrency { get; set; }

    /// <summary>The earlier steps the step waits for; none checked means the step before it, as in the step editor.</summary>
    public List<string> DependsOn { get; set; } = [];

    /// <summary>The workflow version the panel was opened on: a save over a newer one is refused, not lost.</summary>
    public int Version { get; set; }

    /// <summary>The fields for step <paramref name="index"/>, its arrows checked: the step before it when it names none.</summary>
    public static FlowStepForm From(Workflow workflow, int index, int version)
    {
        var step = workflow.Steps[index];
        return new FlowStepForm
        {
            When = step.When,
            ForEach = WorkflowForm.ToText(step.ForEach),
            Concurrency = step.Concurrency,
            DependsOn = step.DependsOn?.ToList() ?? (index > 0 ? [workflow.Steps[index - 1].StepId] : []),
            Version = version,
        };
    }

    /// <summary>
    /// The workflow with step <paramref name="index"/>'s control flow replaced by the fields. Waiting for just the step
    /// before stays implicit when it was, so opening and saving a box changes nothing in the file.
    /// </summary>
    public Workflow ApplyTo(Workflow workflow, int index)
    {
        var step = workflow.Steps[index];
        var waits = DependsOn.Where(id => !string.IsNullOrWhiteSpace(id)).Select(id => id.Trim()).Distinct(StringComparer.Ordinal).ToList();
        var implicitWait = step.DependsOn is null && (waits.Count == 0 || (index > 0 && waits.Count == 1 && waits[0] == workflow.Steps[index - 1].StepId));
        var changed = step with
        {
            When = string.IsNullOrWhiteSpace(When) ? null : When.Trim(),
            ForEach = WorkflowForm.FromText(ForEach?.Trim(), ParameterType.Any),
            Concurrency = Concurrency,
            DependsOn = implicitWait || waits.Count == 0 ? null : waits,
        };
        var steps = workflow.Steps.ToList();
        steps[index] = changed;
        return workflow with { Steps = steps };
    }
}

/// <summary>The flow view's panel for one step: its fields, the steps it may wait for, and how the last save went.</summary>
/// <param name="Earlier">The ids of the steps before it, which it may wait for.</param>
/// <param name="SavedVersion">The version the last save made; null before a save or when it was refused.</param>
public sealed record FlowStepPanel(string StepId, int Index, IReadOnlyList<string> Earlier, FlowStepForm Form, int? SavedVersion = null);
