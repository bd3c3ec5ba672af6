using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Dashboard;

/// <summary>One step's box in the flow view: where it is drawn, what it is, and (on a run's page) how it went.</summary>
public sealed record FlowBox(string StepId, string Kind, int X, int Y)
{
    public string? When { get; init; }
    public bool Loops { get; init; }

    /// <summary>The step's status on a run's page (<c>succeeded</c>, <c>skipped</c>…); null on the workflow's page.</summary>
    public string? Status { get; init; }

    /// <summary>A loop's progress on a run's page, e.g. "7 of 20" (live), "7 done" or "20 items".</summary>
    public string? Progress { get; init; }
}

/// <summary>An arrow from a step to one that waits for it, drawn between the boxes' facing sides.</summary>
public sealed record FlowArrow(string From, string To, int FromX, int FromY, int ToX, int ToY);

/// <summary>
/// The flow view of a workflow: each step a box in the column of its depth (how many steps it waits for, one after
/// another), an arrow from each step it waits for. A plain workflow is one row; parallel branches stack in a column.
/// </summary>
public sealed record FlowDiagram(int Width, int Height, IReadOnlyList<FlowBox> Boxes, IReadOnlyList<FlowArrow> Arrows)
{
    /// <summary>Drawn for a run page's live stream: the figure replaces the one on the page (an htmx out-of-band swap).</summary>
    public bool OutOfBand { get; init; }

    /// <summary>
    /// On the workflow's page, the page's address: each box then opens the step's control flow for editing in place.
    /// Null on a run's page, where the view only shows.
    /// </summary>
    public string? EditUrl { get; init; }

    /// <summary>The step whose control flow is open for editing; null when none is.</summary>
    public string? Selected { get; init; }

    public const int BoxWidth = 180;
    public const int BoxHeight = 60;
    private const int ColumnGap = 48;
    private const int RowGap = 20;
    private const int Margin = 8;

    /// <param name="states">On a run's page, each step's status and loop progress by step id.</param>
    public static FlowDiagram From(Workflow workflow, IReadOnlyDictionary<string, (string Status, string? Progress)>? states = null)
    {
        var steps = workflow.Steps;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            ids.TryAdd(steps[i].StepId, i);
        }
        var waitsFor = new List<int>[steps.Count];
        var column = new int[steps.Count];
        var rowsUsed = new Dictionary<int, int>();
        var boxes = new List<FlowBox>(steps.Count);
        for (var i = 0; i < steps.Count; i++)
        {
            waitsFor[i] = steps[i].DependsOn is { } dependsOn
                ? dependsOn.Where(id => ids.TryGetValue(id, out var d) && d < i).Select(id => ids[id]).Distinct().ToList()
                : i > 0 ? [i - 1] : [];
            column[i] = waitsFor[i].Count == 0 ? 0 : waitsFor[i].Max(d => column[d]) + 1;
            var row = rowsUsed.GetValueOrDefault(column[i]);
            rowsUsed[column[i]] = row + 1;
            var step = steps[i];
            var state = states is not null && states.TryGetValue(step.StepId, out var found) ? found : default;
            boxes.Add(new FlowBox(step.StepId, $"{step.StepType}.{step.Action}",
                Margin + column[i] * (BoxWidth + ColumnGap), Margin + row * (BoxHeight + RowGap))
            {
                When = step.When,
                Loops = step.ForEach is not null,
                Status = states is null ? null : state.Status ?? "pending",
                Progress = state.Progress,
            });
        }
        var arrows = new List<FlowArrow>();
        for (var i = 0; i < steps.Count; i++)
        {
            foreach (var d in waitsFor[i])
            {
                arrows.Add(new FlowArrow(boxes[d].StepId, boxes[i].StepId, boxes[d].X + BoxWidth, boxes[d].Y + BoxHeight / 2, boxes[i].X, boxes[i].Y + BoxHeight / 2));
            }
        }
        var columns = steps.Count == 0 ? 0 : column.Max() + 1;
        var rows = rowsUsed.Count == 0 ? 0 : rowsUsed.Values.Max();
        return new FlowDiagram(
            Math.Max(1, 2 * Margin + columns * BoxWidth + Math.Max(0, columns - 1) * ColumnGap),
            Math.Max(1, 2 * Margin + rows * BoxHeight + Math.Max(0, rows - 1) * RowGap),
            boxes, arrows);
    }
}
