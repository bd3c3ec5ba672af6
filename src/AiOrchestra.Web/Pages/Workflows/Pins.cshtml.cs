using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Pins;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Workflows;

/// <summary>
/// A workflow's pinned step outputs (typed as JSON, or taken from a past run) and its test run, which uses them instead
/// of calling those steps.
/// </summary>
[ProjectRights(ProjectRole.Editor)]
public sealed class PinsModel(WorkflowStore workflows, StepPins pins, RunQueue queue, StepRuns stepRuns) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    /// <summary>The current version's step ids, in order.</summary>
    public IReadOnlyList<string> StepIds { get; private set; } = [];

    public IReadOnlyDictionary<string, PinView> Pinned { get; private set; } = new Dictionary<string, PinView>();

    /// <summary>The step whose pin was refused, with why; the typed text is shown again.</summary>
    public (string StepId, string Problem, string? Typed)? Refused { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostPinAsync(string stepId, string? output, string? fromRun, CancellationToken cancellationToken)
    {
        var result = !string.IsNullOrWhiteSpace(fromRun)
            ? await pins.PinFromRunAsync(User.OwnerId(), Id, stepId, fromRun.Trim(), cancellationToken)
            : await pins.PinJsonAsync(User.OwnerId(), Id, stepId, output ?? "", cancellationToken);
        if (result.Pin is not null)
        {
            return Redirect($"/Workflows/Pins/{Id}");
        }
        if (!await LoadAsync(cancellationToken))
        {
            return NotFound();
        }
        Refused = (stepId, $"{result.Field}: {result.Problem}", output);
        Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return Page();
    }

    public async Task<IActionResult> OnPostUnpinAsync(string stepId, CancellationToken cancellationToken)
    {
        await pins.UnpinAsync(User.OwnerId(), Id, stepId, cancellationToken);
        return Redirect($"/Workflows/Pins/{Id}");
    }

    /// <summary>"Run this step": a test run of the step alone, reading the outputs of the past run given; goes to it.</summary>
    [ProjectRights(ProjectRole.Operator)]
    public async Task<IActionResult> OnPostRunStepAsync(string stepId, string? fromRun, CancellationToken cancellationToken)
    {
        var result = string.IsNullOrWhiteSpace(fromRun)
            ? new StepRunResult(null, "from_run", "give the id of a past run of this workflow to take the step's inputs from.")
            : await stepRuns.RunAsync(User.OwnerId(), Id, stepId, fromRun.Trim(), cancellationToken);
        if (result.RunId is not null)
        {
            return Redirect($"/Logs/{result.RunId}");
        }
        if (!await LoadAsync(cancellationToken))
        {
            return NotFound();
        }
        Refused = (stepId, $"{result.Field}: {result.Problem}", null);
        Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return Page();
    }

    /// <summary>Starts a test run with the workflow's default variables and goes to it.</summary>
    [ProjectRights(ProjectRole.Operator)]
    public async Task<IActionResult> OnPostTestAsync(CancellationToken cancellationToken)
    {
        var (result, watch) = await queue.EnqueueTestAsync(User.OwnerId(), Id, new Dictionary<string, System.Text.Json.Nodes.JsonNode?>(), watch: false, cancellationToken);
        watch?.Dispose();
        if (result.WorkflowNotFound)
        {
            return NotFound();
        }
        if (!result.Succeeded)
        {
            await LoadAsync(cancellationToken);
            Refused = ("", "The test run was not started: " + string.Join("; ", result.Errors), null);
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }
        return Redirect($"/Logs/{result.RunId}");
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        var workflow = await workflows.GetAsync(User.OwnerId(), Id, cancellationToken);
        var pinned = await pins.ListAsync(User.OwnerId(), Id, cancellationToken);
        if (workflow is null || pinned is null)
        {
            return false;
        }
        StepIds = workflow.Workflow.Steps.Select(s => s.StepId).ToList();
        Pinned = pinned.ToDictionary(p => p.StepId, StringComparer.Ordinal);
        return true;
    }
}
