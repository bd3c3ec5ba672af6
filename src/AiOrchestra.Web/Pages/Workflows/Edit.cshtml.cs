using AiOrchestra.Web.Projects;
using System.Text;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Triggers;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Workflows;

/// <summary>
/// Creates and edits a workflow with the step editor (add, remove, reorder steps; type and action from the step
/// catalog; parameter fields from the action's schema) or as raw JSON; shows each validation error by its field.
/// </summary>
[ProjectRights(ProjectRole.Editor)]
public sealed class EditModel(WorkflowStore store, StepCatalog catalog, WorkflowValidator validator, TriggerPanel triggerPanel) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Id { get; set; }

    [BindProperty]
    public WorkflowForm Form { get; set; } = new();

    /// <summary>
    /// Which editor command was given: save, refresh, add, remove-N, up-N, down-N, move-FROM-TO (a step dragged to
    /// another place) or insert (a step of <see cref="InsertType"/> at <see cref="InsertAt"/>, from the palette).
    /// </summary>
    [BindProperty]
    public string? Command { get; set; }

    /// <summary>The palette's step type to insert.</summary>
    [BindProperty]
    public string? InsertType { get; set; }

    /// <summary>The palette's position to insert at: 0 puts the new step first, the step count last.</summary>
    [BindProperty]
    public int? InsertAt { get; set; }

    [BindProperty]
    public string? Json { get; set; }

    public StepCatalog Catalog => catalog;

    public bool IsNew => string.IsNullOrEmpty(Id);

    public IReadOnlyList<ValidationError> Errors { get; private set; } = [];

    public IReadOnlyList<WorkflowVersionSummary> Versions { get; private set; } = [];

    /// <summary>The workflow that already has the id a new workflow asked for.</summary>
    public Workflow? Taken { get; private set; }

    /// <summary>The flow view of the saved workflow; null for a new one.</summary>
    public Dashboard.FlowDiagram? Flow { get; private set; }

    public bool Saved { get; private set; }

    /// <summary>The flow view's panel for the step whose box was opened; null when none is.</summary>
    public FlowStepPanel? FlowStep { get; private set; }

    /// <summary>The flow view saved a change: the step editor is sent again with it, so it does not keep the old fields.</summary>
    public bool EditorOutOfBand { get; private set; }

    /// <summary>The saved workflow's triggers with their URLs, last firing and next due times.</summary>
    public IReadOnlyList<TriggerStatus> Triggers { get; private set; } = [];

    /// <summary>A signing secret just made, shown this once: (trigger id, secret).</summary>
    public (string TriggerId, string Secret)? NewSecret { get; private set; }

    /// <summary>
    /// The element that takes keyboard focus after a step command: the new step's id, or the moved or next step's
    /// button (htmx focuses the <c>autofocus</c> element of the swapped editor).
    /// </summary>
    public string? FocusId { get; private set; }

    /// <param name="step">A box of the flow view opened without JavaScript: the page with that step's panel.</param>
    public async Task<IActionResult> OnGetAsync(bool saved, string? step, CancellationToken cancellationToken)
    {
        if (!IsNew)
        {
            var stored = await store.GetAsync(User.OwnerId(), Id!, cancellationToken);
            if (stored is null)
            {
                return NotFound();
            }
            Form = WorkflowForm.From(stored.Workflow);
            FlowStep = step is null ? null : Panel(stored, step);
            Flow = FlowOf(stored.Workflow);
            Versions = await store.ListVersionsAsync(User.OwnerId(), Id!, cancellationToken);
            Triggers = await triggerPanel.ListAsync(User.OwnerId(), stored.Workflow, Request, cancellationToken);
        }
        else
        {
            Form.Steps.Add(NewStep(0));
        }
        Saved = saved;
        Json = CurrentJson();
        return Page();
    }

    /// <summary>The workflow file of the current version, or of <paramref name="version"/>.</summary>
    public async Task<IActionResult> OnGetExportAsync(int? version, string? format, CancellationToken cancellationToken)
    {
        var stored = version is { } number
            ? await store.GetVersionAsync(User.OwnerId(), Id ?? "", number, cancellationToken)
            : await store.GetAsync(User.OwnerId(), Id ?? "", cancellationToken);
        if (stored is null)
        {
            return NotFound();
        }
        var name = version is null ? $"{Id}.json" : $"{Id}.v{version}.json";
        return File(Encoding.UTF8.GetBytes(WorkflowJson.Serialize(stored.Workflow, original: format == "original")), "application/json", name);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!IsNew && await store.GetAsync(User.OwnerId(), Id!, cancellationToken) is null)
        {
            return NotFound();
        }
        if (!IsNew)
        {
            // the id of a saved workflow is its name in the URL; a different id would be another workflow
            Form.WorkflowId = Id!;
        }
        var command = Command ?? "save";
        if (command == "save")
        {
            var (workflow, formErrors) = Form.ToWorkflow(catalog);
            if (formErrors.Count > 0)
            {
                Errors = formErrors;
            }
            else
            {
                var result = await SaveAsync(workflow, cancellationToken);
                if (result.Succeeded)
                {
                    return Saved_(workflow.WorkflowId);
                }
                if (result.Outcome == SaveOutcome.NotFound)
                {
                    return NotFound();
                }
            }
        }
        else
        {
            ApplyEditorCommand(command);
        }
        return await EditorAsync(cancellationToken);
    }

    /// <summary>A trigger's button: enable, disable, rotate (a new URL) or secret (a new signing secret, shown once).</summary>
    public async Task<IActionResult> OnPostTriggerAsync(string triggerId, string act, CancellationToken cancellationToken)
    {
        var owner = User.OwnerId();
        var stored = await store.GetAsync(owner, Id ?? "", cancellationToken);
        if (stored is null || stored.Workflow.Triggers.All(t => t.TriggerId != triggerId))
        {
            return NotFound();
        }
        switch (act)
        {
            case "enable" or "disable":
                var errors = await TriggersApi.SetEnabledAsync(store, owner, Id!, triggerId, act == "enable", cancellationToken);
                if (errors is { Count: > 0 })
                {
                    Errors = errors;
                }
                break;
            case "rotate":
                await triggerPanel.RotateAsync(owner, Id!, triggerId, cancellationToken);
                break;
            case "secret":
                var secret = await triggerPanel.NewSecretAsync(owner, Id!, triggerId, cancellationToken);
                // shown in this answer only: no redirect, nothing kept to show it again
                var page = await OnGetAsync(false, null, cancellationToken);
                NewSecret = secret is null ? null : (triggerId, secret);
                return page;
            default:
                return BadRequest();
        }
        return Errors.Count > 0 ? await OnGetAsync(false, null, cancellationToken) : RedirectToPage(new { id = Id });
    }

    public async Task<IActionResult> OnPostJsonAsync(CancellationToken cancellationToken)
    {
        var parsed = WorkflowJson.Parse(Json ?? "");
        if (parsed is { Succeeded: true, Workflow: { } workflow })
        {
            if (!IsNew && workflow.WorkflowId != Id)
            {
                Errors = [new ValidationError("workflow_id", $"is '{workflow.WorkflowId}' but this page edits '{Id}'; keep the id, or import the file as a new workflow.")];
            }
            else
            {
                var result = await SaveAsync(workflow, cancellationToken);
                if (result.Succeeded)
                {
                    return Saved_(workflow.WorkflowId);
                }
                if (result.Outcome == SaveOutcome.NotFound)
                {
                    return NotFound();
                }
            }
            Form = WorkflowForm.From(workflow);
        }
        else
        {
            // the reader's errors and the validator's, all at once
            Errors = validator.Validate(parsed);
        }
        var json = Json;
        var page = await EditorAsync(cancellationToken);
        Json = json;
        return page;
    }

    /// <summary>
    /// A box of the flow view opened in place: the view with that step's panel (htmx), or the page with it. Without a
    /// step, the view with its panel closed.
    /// </summary>
    public async Task<IActionResult> OnGetFlowStepAsync(string? step, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(User.OwnerId(), Id ?? "", cancellationToken);
        var panel = stored is null ? null : Panel(stored, step);
        if (stored is null || (step is not null && panel is null))
        {
            return NotFound();
        }
        Response.VaryOnHtmx();
        if (!Request.IsHtmx())
        {
            return await OnGetAsync(false, step, cancellationToken);
        }
        FlowStep = panel;
        Flow = FlowOf(stored.Workflow);
        return Partial("_FlowView", this);
    }

    /// <summary>
    /// Saves one step's control flow from the flow view's panel as a new version. Saved: the view drawn again with the
    /// new arrows, and the step editor sent again with the saved fields. Refused: the panel with the validator's
    /// errors beside the fields they concern (the same paths as the step editor), nothing saved.
    /// </summary>
    public async Task<IActionResult> OnPostFlowStepAsync(string? step, FlowStepForm flowStep, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(User.OwnerId(), Id ?? "", cancellationToken);
        if (stored is null || Panel(stored, step) is not { } panel)
        {
            return NotFound();
        }
        var workflow = flowStep.ApplyTo(stored.Workflow, panel.Index);
        var result = await store.SaveAsync(User.OwnerId(), workflow, SaveMode.Replace, flowStep.Version, cancellationToken);
        Response.VaryOnHtmx();
        if (result.Saved is { } saved)
        {
            if (!Request.IsHtmx())
            {
                return this.NavigateTo($"/Workflows/Edit/{Uri.EscapeDataString(saved.Workflow.WorkflowId)}?saved=true");
            }
            Form = WorkflowForm.From(saved.Workflow);
            FlowStep = Panel(saved, panel.StepId)! with { SavedVersion = saved.Version };
            Flow = FlowOf(saved.Workflow);
            Versions = await store.ListVersionsAsync(User.OwnerId(), Id!, cancellationToken);
            Json = CurrentJson();
            EditorOutOfBand = true;
            return Partial("_FlowView", this);
        }
        Errors = result.Outcome switch
        {
            SaveOutcome.VersionChanged => [new ValidationError($"steps[{panel.Index}]",
                $"the workflow was saved as version {result.CurrentVersion} since this panel was opened on version {flowStep.Version}; open the step again to see it, then make the change.")],
            SaveOutcome.NotFound => [new ValidationError("workflow_id", "this workflow was deleted in the meantime.")],
            _ => result.Errors,
        };
        if (!Request.IsHtmx())
        {
            var page = await OnGetAsync(false, step, cancellationToken);
            FlowStep = panel with { Form = flowStep };
            return page;
        }
        FlowStep = panel with { Form = flowStep };
        Flow = FlowOf(stored.Workflow);
        return Partial("_FlowView", this);
    }

    /// <summary>The errors of one field, by the validator's path (e.g. <c>steps[1].parameters.url</c>).</summary>
    public IEnumerable<string> ErrorsAt(string path) => Errors.Where(e => e.Path == path).Select(e => e.Message);

    public IEnumerable<StepParameter> FieldsOf(StepForm step)
    {
        var schema = catalog.FindAction(step.StepType, step.Action)?.Parameters ?? [];
        var extra = step.Parameters.Keys.Where(name => schema.All(p => p.Name != name))
            .Select(name => new StepParameter(name, ParameterType.Any, false, "Not a parameter of this action; clear it to remove it."));
        return schema.Concat(extra);
    }

    /// <summary>
    /// Saves from this page: a new workflow only creates and an edit only adds a version, so a new workflow with a
    /// taken id is refused beside its id field (naming the workflow that has it) instead of replacing it.
    /// </summary>
    private async Task<WorkflowSaveResult> SaveAsync(Workflow workflow, CancellationToken cancellationToken)
    {
        var result = await store.SaveAsync(User.OwnerId(), workflow, IsNew ? SaveMode.Create : SaveMode.Replace, null, cancellationToken);
        Errors = result.Errors;
        if (result.Outcome is SaveOutcome.AlreadyExists or SaveOutcome.ChangedConcurrently
            && await store.GetAsync(User.OwnerId(), workflow.WorkflowId, cancellationToken) is { } taken)
        {
            Taken = taken.Workflow;
            var named = taken.Workflow.Name.Length > 0 ? $" '{taken.Workflow.Name}'" : "";
            Errors = [new ValidationError("workflow_id", $"'{workflow.WorkflowId}' is already the id of your workflow{named}; choose another id, or open that workflow to change it.")];
        }
        return result;
    }

    /// <summary>The flow view of the workflow's page: each box opens its step's panel, the open one marked.</summary>
    private Dashboard.FlowDiagram FlowOf(Workflow workflow) =>
        Dashboard.FlowDiagram.From(workflow) with { EditUrl = "/Workflows/Edit/" + Uri.EscapeDataString(workflow.WorkflowId), Selected = FlowStep?.StepId };

    /// <summary>The panel of the step <paramref name="stepId"/> as stored; null when the workflow has no such step.</summary>
    private static FlowStepPanel? Panel(StoredWorkflow stored, string? stepId)
    {
        var steps = stored.Workflow.Steps;
        for (var index = 0; index < steps.Count; index++)
        {
            if (steps[index].StepId == stepId)
            {
                return new FlowStepPanel(stepId, index, steps.Take(index).Select(s => s.StepId).ToList(), FlowStepForm.From(stored.Workflow, index, stored.Version));
            }
        }
        return null;
    }

    private IActionResult Saved_(string workflowId) =>
        this.NavigateTo("/Workflows/Edit/" + Uri.EscapeDataString(workflowId) + "?saved=true");

    private async Task<IActionResult> EditorAsync(CancellationToken cancellationToken)
    {
        if (!IsNew)
        {
            Versions = await store.ListVersionsAsync(User.OwnerId(), Id!, cancellationToken);
        }
        Json ??= CurrentJson();
        Response.VaryOnHtmx();
        return Request.IsHtmx() ? Partial("_Editor", this) : Page();
    }

    private string CurrentJson()
    {
        var (workflow, _) = Form.ToWorkflow(catalog);
        try
        {
            return WorkflowJson.Serialize(workflow);
        }
        catch (ArgumentException)
        {
            return "";
        }
    }

    private void ApplyEditorCommand(string command)
    {
        var dash = command.LastIndexOf('-');
        var index = dash > 0 && int.TryParse(command[(dash + 1)..], out var n) ? n : -1;
        var verb = dash > 0 ? command[..dash] : command;
        var steps = Form.Steps;
        var moveFrom = -1;
        if (verb.StartsWith("move-", StringComparison.Ordinal) && int.TryParse(verb["move-".Length..], out var from))
        {
            (verb, moveFrom) = ("move", from);
        }
        switch (verb)
        {
            case "add":
                steps.Add(NewStep(steps.Count));
                FocusId = $"s{steps.Count - 1}-id";
                break;
            case "insert" when InsertAt is >= 0 and var at && at <= steps.Count && catalog.Find(InsertType ?? "") is { } inserted:
                steps.Insert(at, NewStep(at, inserted.Name));
                FocusId = $"s{at}-id";
                break;
            case "move" when moveFrom >= 0 && moveFrom < steps.Count && index >= 0 && index < steps.Count:
                var moved = steps[moveFrom];
                steps.RemoveAt(moveFrom);
                steps.Insert(index, moved);
                FocusId = $"s{index}-id";
                break;
            case "remove" when index >= 0 && index < steps.Count:
                steps.RemoveAt(index);
                FocusId = steps.Count == 0 ? "cmd-add" : $"cmd-remove-{Math.Min(index, steps.Count - 1)}";
                break;
            case "up" when index > 0 && index < steps.Count:
                (steps[index - 1], steps[index]) = (steps[index], steps[index - 1]);
                FocusId = index - 1 == 0 ? "cmd-down-0" : $"cmd-up-{index - 1}";
                break;
            case "down" when index >= 0 && index < steps.Count - 1:
                (steps[index + 1], steps[index]) = (steps[index], steps[index + 1]);
                FocusId = index + 1 == steps.Count - 1 ? $"cmd-up-{index + 1}" : $"cmd-down-{index + 1}";
                break;
        }
        // a changed type or action keeps the parameters its schema knows, plus those already filled in (shown as extra
        // fields to clear); an empty field of the previous action goes
        foreach (var step in steps)
        {
            var type = catalog.Find(step.StepType);
            if (type is null)
            {
                continue;
            }
            if (type.Actions.All(a => a.Name != step.Action))
            {
                step.Action = type.Actions.FirstOrDefault()?.Name ?? "";
            }
            var known = catalog.FindAction(step.StepType, step.Action)?.Parameters.Select(p => p.Name).ToHashSet() ?? [];
            foreach (var empty in step.Parameters.Where(p => string.IsNullOrEmpty(p.Value) && !known.Contains(p.Key)).Select(p => p.Key).ToList())
            {
                step.Parameters.Remove(empty);
            }
        }
    }

    private StepForm NewStep(int index, string? typeName = null)
    {
        var type = typeName is null
            ? catalog.Types.OrderBy(t => t.Name == "template" ? 0 : 1).ThenBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault()
            : catalog.Find(typeName);
        var taken = Form.Steps.Select(s => s.StepId).ToHashSet();
        var number = index + 1;
        while (taken.Contains($"step{number}"))
        {
            number++;
        }
        return new StepForm { StepId = $"step{number}", StepType = type?.Name ?? "", Action = type?.Actions.FirstOrDefault()?.Name ?? "" };
    }
}
