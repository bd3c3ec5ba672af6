using AiOrchestra.Web.Audit;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Logs;

/// <summary>One run: its step timeline (live while it runs), its log as JSON, re-run and cancel.</summary>
public sealed class RunModel(RunStore runs, WorkflowStore workflows, RunQueue queue, AuditLog audit) : PageModel
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // relaxed: quotes and < stay readable in the inputs, which Razor HTML-encodes before they reach the page
    private static readonly JsonSerializerOptions Readable = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    public RunDetails Details { get; private set; } = null!;

    /// <summary>Every step of the workflow version the run executes, those not reached yet as pending.</summary>
    public IReadOnlyList<StepView> Steps { get; private set; } = [];

    public string Inputs { get; private set; } = "";

    /// <summary>The flow view with each step's state as the page was drawn; null when the workflow version is gone.</summary>
    public FlowDiagram? Flow { get; private set; }

    /// <summary>Why the last "run again" was refused (the queue's errors); empty unless a re-run was just refused.</summary>
    public IReadOnlyList<ValidationError> RerunErrors { get; private set; } = [];

    /// <summary>The re-run was refused because the run's workflow no longer exists.</summary>
    public bool RerunWorkflowMissing { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var details = await runs.GetAsync(User.OwnerId(), Id, cancellationToken);
        return details is null ? NotFound() : await ShowAsync(details, cancellationToken);
    }

    public async Task<IActionResult> OnGetDownloadAsync(CancellationToken cancellationToken)
    {
        var log = await runs.ExportAsync(User.OwnerId(), Id, cancellationToken);
        return log is null
            ? NotFound()
            : File(Encoding.UTF8.GetBytes(log.ToJsonString(Indented)), "application/json", $"run-{Id}.json");
    }

    /// <summary>
    /// A step's full output (the page shows long ones cut): text as plain text, anything else as JSON. Another user's
    /// run, an unknown step and a step without output are all 404.
    /// </summary>
    public async Task<IActionResult> OnGetOutputAsync(string? step, CancellationToken cancellationToken)
    {
        var details = await runs.GetAsync(User.OwnerId(), Id, cancellationToken);
        var output = details?.Steps.FirstOrDefault(s => s.StepId == step)?.Output;
        if (output is null)
        {
            return NotFound();
        }
        // what a step produced is never run by the browser as a page or script
        Response.Headers.XContentTypeOptions = "nosniff";
        Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        var value = JsonNode.Parse(output);
        return value is JsonValue text && text.TryGetValue<string>(out var plain)
            ? Content(plain, "text/plain; charset=utf-8")
            : Content(value?.ToJsonString(Readable) ?? "null", "application/json; charset=utf-8");
    }

    /// <summary>
    /// Queues a new run of the workflow's current version with this run's inputs and goes to it. When the queue
    /// refuses (the workflow was deleted, or no longer accepts these inputs), the reasons are shown on this page with
    /// status 200 as the other forms do: htmx gets the <c>_RerunRefused</c> fragment (its config swaps no 4xx answer),
    /// a plain form post the whole page.
    /// </summary>
    public async Task<IActionResult> OnPostRerunAsync(CancellationToken cancellationToken)
    {
        var details = await runs.GetAsync(User.OwnerId(), Id, cancellationToken);
        if (details is null)
        {
            return NotFound();
        }
        var inputs = (JsonNode.Parse(details.Run.Inputs) as JsonObject ?? [])
            .ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal);
        var result = await queue.EnqueueAsync(User.OwnerId(), details.Run.WorkflowId, inputs, RunOrigin.Rerun, cancellationToken);
        if (result.Succeeded)
        {
            await audit.WriteAsync("run.started", details.Run.WorkflowId, $"run {result.RunId}, re-run of {details.Run.Id}", cancellationToken: cancellationToken);
            return this.NavigateTo("/Logs/" + result.RunId);
        }
        RerunErrors = result.Errors;
        RerunWorkflowMissing = result.WorkflowNotFound;
        Response.VaryOnHtmx();
        if (Request.IsHtmx())
        {
            Details = details;
            return Partial("_RerunRefused", this);
        }
        return await ShowAsync(details, cancellationToken);
    }

    /// <summary>
    /// htmx gets the cancel area back in place (the page's live stream then brings the cancelled status and clears
    /// it); a plain form post goes back to the run's page.
    /// </summary>
    public async Task<IActionResult> OnPostCancelAsync(CancellationToken cancellationToken)
    {
        var result = await queue.CancelAsync(User.OwnerId(), Id, cancellationToken);
        if (result == CancelResult.NotFound)
        {
            return NotFound();
        }
        Response.VaryOnHtmx();
        if (!Request.IsHtmx())
        {
            return Redirect("/Logs/" + Id);
        }
        var note = result == CancelResult.CancelRequested ? "<p class=\"hint\" role=\"status\">Cancelling…</p>" : "";
        return Content($"<div id=\"run-cancel\">{note}</div>", "text/html; charset=utf-8");
    }

    /// <summary>The run's page: its inputs and every step of the workflow version it executes.</summary>
    private async Task<IActionResult> ShowAsync(RunDetails details, CancellationToken cancellationToken)
    {
        Details = details;
        Inputs = JsonNode.Parse(details.Run.Inputs)?.ToJsonString(Readable) ?? "{}";
        var version = await workflows.GetVersionAsync(User.OwnerId(), details.Run.WorkflowId, details.Run.WorkflowVersionNumber, cancellationToken);
        var recorded = details.Steps.ToDictionary(s => s.StepId, StringComparer.Ordinal);
        var views = new List<StepView>();
        foreach (var step in version?.Workflow.Steps ?? [])
        {
            views.Add(recorded.Remove(step.StepId, out var row) ? ToView(row) : new StepView(step.StepId, WorkflowResultJson.StatusName(StepStatus.Pending)));
        }
        views.AddRange(recorded.Values.OrderBy(s => s.Index).Select(ToView));
        Steps = views;
        if (version is not null)
        {
            Flow = FlowDiagram.From(version.Workflow, await FlowStatesAsync(version.Workflow, details, cancellationToken));
        }
        return Page();
    }

    /// <summary>Each step's status, and for a loop how many items are done (while it runs) or how many it had.</summary>
    private async Task<Dictionary<string, (string Status, string? Progress)>> FlowStatesAsync(
        Workflow workflow, RunDetails details, CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, (string Status, string? Progress)>(StringComparer.Ordinal);
        var loops = workflow.Steps.Any(s => s.ForEach is not null)
            ? await runs.CountItemsAsync(details.Run.Id, cancellationToken)
            : new Dictionary<int, int>();
        foreach (var step in details.Steps)
        {
            string? progress = null;
            if (workflow.Steps.FirstOrDefault(s => s.StepId == step.StepId)?.ForEach is not null)
            {
                progress = step.Status == StepStatus.Running || step.Output is null
                    ? $"{loops.GetValueOrDefault(step.Index)} done"
                    : JsonNode.Parse(step.Output) is JsonArray items ? $"{items.Count} items" : null;
            }
            states[step.StepId] = (WorkflowResultJson.StatusName(step.Status), progress);
        }
        return states;
    }

    private static StepView ToView(RunStep step) => new(step.StepId, WorkflowResultJson.StatusName(step.Status))
    {
        RunId = step.RunId,
        Attempts = step.Attempts,
        DurationMs = step.FinishedAt is null ? null : step.DurationMs,
        Output = step.Output is null ? null : JsonNode.Parse(step.Output),
        Error = step.Error,
        Usage = step.PromptTokens is null && step.CompletionTokens is null ? null : new TokenUsage(step.PromptTokens ?? 0, step.CompletionTokens ?? 0),
    };
}
