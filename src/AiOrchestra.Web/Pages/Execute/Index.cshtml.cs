using AiOrchestra.Web.Projects;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Pages.Workflows;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Execute;

/// <summary>Pick a workflow, fill in its variables (defaults shown), run it; the run's page then shows it live.</summary>
[ProjectRights(ProjectRole.Operator)]
public sealed class IndexModel(WorkflowStore workflows, RunQueue queue) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "workflow")]
    public string? WorkflowId { get; set; }

    public Dictionary<string, string?> Inputs { get; private set; } = [];

    public IReadOnlyList<WorkflowSummary> Workflows { get; private set; } = [];

    public Workflow? Workflow { get; private set; }

    public IReadOnlyList<ValidationError> Errors { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return NotFound();
        }
        if (Workflow is not null)
        {
            Inputs = Workflow.Variables.ToDictionary(v => v.Key, v => WorkflowForm.ToText(v.Value));
        }
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken) || Workflow is null)
        {
            return NotFound();
        }
        // read the Inputs[name] fields only (model binding would fall back to every form field when there are none)
        Inputs = Request.Form.Where(f => f.Key.StartsWith("Inputs[", StringComparison.Ordinal) && f.Key.EndsWith(']'))
            .ToDictionary(f => f.Key["Inputs[".Length..^1], f => (string?)f.Value.ToString(), StringComparer.Ordinal);
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, text) in Inputs)
        {
            inputs[name] = ToValue(text ?? "", Workflow.Variables.GetValueOrDefault(name));
        }
        var result = await queue.EnqueueAsync(User.OwnerId(), Workflow.WorkflowId, inputs, RunOrigin.Manual, cancellationToken);
        if (!result.Succeeded)
        {
            Errors = result.Errors;
            Response.VaryOnHtmx();
            return Request.IsHtmx() ? Partial("_RunForm", this) : Page();
        }
        return this.NavigateTo("/Logs/" + result.RunId);
    }

    /// <summary>An input keeps the kind of its default: text for a text default, otherwise JSON when it reads as JSON.</summary>
    private static JsonNode? ToValue(string text, JsonNode? defaultValue)
    {
        if (defaultValue is null || (defaultValue is JsonValue value && value.TryGetValue<string>(out _)))
        {
            return JsonValue.Create(text);
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        Workflows = await workflows.ListAsync(User.OwnerId(), cancellationToken);
        if (string.IsNullOrEmpty(WorkflowId))
        {
            return true;
        }
        Workflow = (await workflows.GetAsync(User.OwnerId(), WorkflowId, cancellationToken))?.Workflow;
        return Workflow is not null;
    }
}
