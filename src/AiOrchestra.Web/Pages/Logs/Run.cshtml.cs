using AiOrchestra.Web.Projects;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Agent;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Logs;

/// <summary>One run: its step timeline (live while it runs), its log as JSON, re-run and cancel.</summary>
[ProjectRights(ProjectRole.Operator)]
public sealed class RunModel(RunStore runs, WorkflowStore workflows, RunQueue queue, RunApprovals approvals, RunResumption resumption) : PageModel
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // relaxed: quotes and < stay readable in the inputs, which Razor HTML-encodes before they reach the page
    private static readonly JsonSerializerOptions Readable = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    public RunDetails Details { get; private set; } = null!;

    /// <summary>Every step of the workflow version the run executes, those not reached yet as pending.</summary>
    public IReadOnlyList<StepState> Steps { get; private set; } = [];

    public string Inputs { get; private set; } = "";

    /// <summary>The conversation of each agent step: every model turn and tool call recorded so far.</summary>
    public IReadOnlyList<Conversation> Conversations { get; private set; } = [];

    /// <summary>The child runs (sub-workflows) this run's steps started.</summary>
    public IReadOnlyList<ChildRunRow> Children { get; private set; } = [];

    /// <summary>The flow view with each step's state as the page was drawn; null when the workflow version is gone.</summary>
    public FlowDiagram? Flow { get; private set; }

    /// <summary>Why the last "run again" was refused (the queue's errors); empty unless a re-run was just refused.</summary>
    public IReadOnlyList<ValidationError> RerunErrors { get; private set; } = [];

    /// <summary>The re-run was refused because the run's workflow no longer exists.</summary>
    public bool RerunWorkflowMissing { get; private set; }

    /// <summary>What a waiting run waits for (approvals and wait steps); empty unless the run is waiting.</summary>
    public IReadOnlyList<RunWait> Waits { get; private set; } = [];

    /// <summary>Why the last approve or reject was not taken; null otherwise.</summary>
    public string? ApprovalError { get; private set; }

    /// <summary>The comment as sent with a refused answer, shown again so it is not lost.</summary>
    public string? Comment { get; private set; }

    /// <summary>The approval step the refused answer named (its form keeps the comment).</summary>
    public string? AnsweredStep { get; private set; }

    /// <summary>For a failed or cancelled run: from which step it can be resumed, or why it cannot. Null for other runs.</summary>
    public ResumePlan? Resume { get; private set; }

    /// <summary>The runs that resumed this one, oldest first.</summary>
    public IReadOnlyList<string> ResumedBy { get; private set; } = [];

    /// <summary>The prompts the steps rendered and their LLM calls, with the run's totals.</summary>
    public Ledger.RunLedger Ledger { get; private set; } = Web.Ledger.RunLedger.Of([]);

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
        var result = await queue.EnqueueRerunAsync(User.OwnerId(), details.Run.WorkflowId, inputs, details.Run.Id, cancellationToken);
        if (result.Succeeded)
        {
            return this.NavigateTo(RunPageNames.Url(result.RunId!));
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
    /// Starts a run that resumes this one from its failed step and goes to it; when that is refused (the workflow
    /// changed or was deleted in the meantime), this page again with the reason beside the button.
    /// </summary>
    public async Task<IActionResult> OnPostResumeAsync(CancellationToken cancellationToken)
    {
        var result = await resumption.ResumeAsync(User.OwnerId(), Id, cancellationToken);
        if (!result.Found)
        {
            return NotFound();
        }
        if (result.RunId is { } runId)
        {
            return this.NavigateTo(RunPageNames.Url(runId));
        }
        var details = await runs.GetAsync(User.OwnerId(), Id, cancellationToken);
        return details is null ? NotFound() : await ShowAsync(details, cancellationToken);
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
            return Redirect(RunPageNames.Url(Id));
        }
        return Partial("_RunCancel", new RunCancelArea(Id, Cancellable: false, Cancelling: result == CancelResult.CancelRequested));
    }

    /// <summary>The approval panel of a run that just paused (the live stream asks for it when the run-waiting event comes).</summary>
    public async Task<IActionResult> OnGetApprovalAsync(CancellationToken cancellationToken)
    {
        if (await approvals.StatusAsync(User.OwnerId(), Id, cancellationToken) is null)
        {
            return NotFound();
        }
        Waits = await approvals.WaitsAsync(User.OwnerId(), Id, cancellationToken);
        return Partial("_Approval", this);
    }

    /// <summary>
    /// Polled by the approval panel while the run waits: 204 (nothing to swap) while it still waits; once it does not
    /// (approved elsewhere, timed out, cancelled) the page reloads and follows the run live.
    /// </summary>
    public async Task<IActionResult> OnGetWaitStateAsync(CancellationToken cancellationToken)
    {
        var status = await approvals.StatusAsync(User.OwnerId(), Id, cancellationToken);
        if (status is null)
        {
            return NotFound();
        }
        if (status == RunStatus.Waiting)
        {
            return new NoContentResult();
        }
        Response.Headers["HX-Refresh"] = "true";
        return new OkResult();
    }

    /// <summary>
    /// Approve or reject (the pressed button's <c>decision</c>) with an optional comment. Taken: the page reloads and
    /// follows the run as it goes on. Refused (no longer waiting, a comment too long): the reason beside the buttons.
    /// </summary>
    public async Task<IActionResult> OnPostAnswerAsync(string? decision, string? comment, string? step, CancellationToken cancellationToken)
    {
        if (decision is not ("approve" or "reject"))
        {
            return BadRequest();
        }
        if (comment is { Length: > RunApprovals.MaxCommentLength })
        {
            ApprovalError = $"The comment is {comment.Length} characters; at most {RunApprovals.MaxCommentLength} are kept. Shorten it.";
        }
        else
        {
            var result = await approvals.AnswerAsync(User.OwnerId(), Id, step, decision == "approve", comment, cancellationToken);
            if (result.Outcome == AnswerOutcome.NotFound)
            {
                return NotFound();
            }
            if (result.Outcome is AnswerOutcome.Approved or AnswerOutcome.Rejected)
            {
                return this.NavigateTo(RunPageNames.Url(Id));
            }
            ApprovalError = RunApprovals.Refusal(Id, result);
        }
        Comment = comment;
        AnsweredStep = step;
        Response.VaryOnHtmx();
        if (Request.IsHtmx())
        {
            Waits = await approvals.WaitsAsync(User.OwnerId(), Id, cancellationToken);
            return Partial("_Approval", this);
        }
        var details = await runs.GetAsync(User.OwnerId(), Id, cancellationToken);
        return details is null ? NotFound() : await ShowAsync(details, cancellationToken);
    }

    /// <summary>The run's page: its inputs and every step of the workflow version it executes.</summary>
    private async Task<IActionResult> ShowAsync(RunDetails details, CancellationToken cancellationToken)
    {
        Details = details;
        Inputs = JsonNode.Parse(details.Run.Inputs)?.ToJsonString(Readable) ?? "{}";
        if (details.Run.Status == RunStatus.Waiting)
        {
            Waits = await approvals.WaitsAsync(User.OwnerId(), details.Run.Id, cancellationToken);
        }
        Children = await runs.ChildrenAsync(details.Run.Id, cancellationToken);

        if (details.Run.Status is RunStatus.Failed or RunStatus.Cancelled)
        {
            Resume = await resumption.PlanAsync(User.OwnerId(), details.Run.Id, cancellationToken);
            ResumedBy = await resumption.ResumedByAsync(User.OwnerId(), details.Run.Id, cancellationToken);
        }
        var version = await workflows.GetVersionAsync(User.OwnerId(), details.Run.WorkflowId, details.Run.WorkflowVersionNumber, cancellationToken);
        var recorded = details.Steps.ToDictionary(s => s.StepId, StringComparer.Ordinal);
        var steps = new List<StepState>();
        var workflowSteps = version?.Workflow.Steps ?? [];
        for (var index = 0; index < workflowSteps.Count; index++)
        {
            var stepId = workflowSteps[index].StepId;
            steps.Add(recorded.Remove(stepId, out var row) ? StepState.From(details.Run.Id, row) : StepState.Pending(details.Run.Id, stepId, index));
        }
        steps.AddRange(recorded.Values.OrderBy(s => s.Index).Select(s => StepState.From(details.Run.Id, s)));
        Steps = steps;
        Ledger = Web.Ledger.RunLedger.Of(details.Steps);
        Conversations = await ConversationsAsync(version?.Workflow, details.Run, cancellationToken);
        if (version is not null)
        {
            Flow = (await FlowStates.LoadAsync(version.Workflow, details, runs, cancellationToken)).Diagram();
        }
        return Page();
    }

    /// <summary>
    /// A conversation for every agent step of the workflow, and for any other step with notes. While the run goes on the
    /// lists start empty: the live stream brings every note, those recorded before the page was opened first, so none
    /// shows twice.
    /// </summary>
    private async Task<List<Conversation>> ConversationsAsync(Workflow? workflow, Run run, CancellationToken cancellationToken)
    {
        var entries = run.Status.IsFinished() ? await runs.EntriesAsync(run.Id, cancellationToken) : [];
        var stepIds = (workflow?.Steps.Where(s => s.StepType == AgentStep.TypeName).Select(s => s.StepId) ?? [])
            .Concat(entries.Select(e => e.StepId))
            .Distinct(StringComparer.Ordinal);
        return stepIds.Select(stepId => new Conversation(stepId, entries
                .Where(e => e.StepId == stepId)
                .Select(e => new ConversationEntry(stepId, e.ItemIndex, JsonNode.Parse(e.Entry) as JsonObject ?? []))
                .ToList()))
            .ToList();
    }
}
