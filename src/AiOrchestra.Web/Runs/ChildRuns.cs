using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Runs a sub-workflow as a child run: a run row of its own, linked to its parent run, step and item (Logs, the run
/// page and the API show it), with its steps written and streamed like any run's.
/// <para>
/// The child runs inline, in the task of the parent's step, not through the queue: it holds no worker slot of its own,
/// so a parent waiting for its child can never starve the pool (at <c>Runs__Concurrency=1</c> a queued child would wait
/// for the slot its parent holds, for ever). The worker never claims a child row; after a crash the resumed parent's
/// step finds the child it had started (by parent run and <see cref="ChildRun.Key"/>) and goes on with it from its
/// first unfinished step, or takes the outcome of a child that had finished.
/// </para>
/// </summary>
internal sealed class ChildRuns(
    RunWriter writer,
    IDbContextFactory<AppDbContext> dbs,
    WorkflowVersionCache versions,
    RunEvents events,
    RunCancellations cancellations,
    Metrics.RunMetrics metrics,
    Engine.Steps.Integrations.IntegrationSecrets secrets,
    Ledger.LlmPrices prices,
    IHostApplicationLifetime lifetime,
    Microsoft.Extensions.Options.IOptions<RunOptions> options,
    IServiceProvider services,
    TimeProvider time) : IChildRuns
{
    /// <summary>The lease owner written on the children this process runs.</summary>
    private readonly string _holder = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}/children";

    // resolved on first use: the executor's catalog holds the workflow step type, which holds this
    private WorkflowExecutor? _executor;

    private WorkflowExecutor Executor => _executor ??= services.GetRequiredService<WorkflowExecutor>();

    public async Task<ChildRunResult> RunAsync(ChildRun request, CancellationToken cancellationToken)
    {
        // checked here too, so every caller (an agent's workflow tools as well as the workflow step) keeps to the limit
        if (SubWorkflows.NestingProblem(request.Path, request.WorkflowId, options.Value.MaxWorkflowDepth) is { } problem)
        {
            return new ChildRunResult(null, false, null, problem);
        }
        ChildRow? child;
        await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
        {
            child = await db.Runs.AsNoTracking()
                .Where(r => r.ParentRunId == request.ParentRunId && r.ChildKey == request.Key)
                .Select(r => new ChildRow(r.Id, r.Status, r.WorkflowVersionId, r.Inputs, r.Error))
                .FirstOrDefaultAsync(cancellationToken);
        }

        if (child is null)
        {
            var (run, workflow, refused) = await PrepareAsync(request, cancellationToken);
            if (refused is not null)
            {
                return new ChildRunResult(null, false, null, refused);
            }
            await writer.InsertChildAsync(run!, _holder);
            return await ExecuteAsync(request, run!.Id, workflow!, RunWorker.ReadInputs(run.Inputs), resumed: false, cancellationToken);
        }
        if (child.Status is RunStatus.Running or RunStatus.Queued && await writer.TakeChildAsync(child.Id, _holder))
        {
            // started before a crash or a restart: go on from its first unfinished step
            var workflow = await LoadWorkflowAsync(child.VersionId, cancellationToken);
            return await ExecuteAsync(request, child.Id, workflow, RunWorker.ReadInputs(child.Inputs), resumed: true, cancellationToken);
        }
        return await FinishedAsync(child.Id, cancellationToken);
    }

    /// <summary>The child's row, not stored yet: the owner's workflow (its current version) and the inputs checked.</summary>
    private async Task<(Run? Run, Workflow? Workflow, string? Problem)> PrepareAsync(ChildRun request, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var current = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.Record!.OwnerId == request.OwnerId && v.Record.WorkflowId == request.WorkflowId && v.Record.DeletedAt == null
                        && v.Number == v.Record.CurrentVersion)
            .Select(v => new { v.Id, v.WorkflowRecordId, v.Number, v.Definition })
            .FirstOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return (null, null, $"there is no workflow '{request.WorkflowId}' among yours; save it first, or check workflow_id");
        }
        var workflow = versions.GetOrParse(current.Id, current.Definition);

        var inputs = new JsonObject();
        foreach (var (name, value) in request.Inputs)
        {
            inputs[name] = value?.DeepClone();
        }
        var text = inputs.ToJsonString();
        var errors = RunQueue.ValidateInputs(workflow, request.Inputs, text.Length, acceptUndeclared: true);
        if (errors.Count > 0)
        {
            return (null, null, $"the inputs of workflow '{request.WorkflowId}' are not valid: {string.Join("; ", errors)}");
        }
        var now = time.GetUtcNow();
        var run = new Run
        {
            Id = Guid.CreateVersion7(now).ToString(),
            OwnerId = request.OwnerId,
            WorkflowRecordId = current.WorkflowRecordId,
            WorkflowVersionId = current.Id,
            WorkflowId = request.WorkflowId,
            WorkflowVersionNumber = current.Number,
            Status = RunStatus.Running,
            Origin = RunOrigin.Parent(request.ParentRunId),
            Inputs = text,
            CreatedAt = now,
            ParentRunId = request.ParentRunId,
            ParentStepId = request.ParentStepId,
            ParentItemIndex = request.ItemIndex,
            ChildKey = request.Key,
        };
        return (run, workflow, null);
    }

    private async Task<ChildRunResult> ExecuteAsync(
        ChildRun request, string runId, Workflow workflow, Dictionary<string, JsonNode?> inputs, bool resumed, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var feed = events.Open(runId);
        var closed = false;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // the child's own cancel (its page, the API) ends it alone; its parent's step then fails with the reason
        cancellations.Register(runId, cancel);
        try
        {
            metrics.RunStarted(workflow.WorkflowId);
            var finished = resumed ? await RunProgress.FinishedStepsAsync(dbs, runId, cancellationToken) : [];
            var finishedItems = resumed ? await RunProgress.FinishedItemsAsync(dbs, runId, cancellationToken) : [];
            var journalEntries = resumed ? await RunProgress.JournalEntriesAsync(dbs, runId, cancellationToken) : [];
            if (resumed)
            {
                // what it had stored comes first, with the ids it was sent with: a page or client that reconnects misses nothing
                await events.ResumeAsync(feed, cancellationToken);
            }
            else
            {
                feed.Publish(new RunEvent
                {
                    RunId = runId, Sequence = 0, Type = RunEvent.RunStarted, Timestamp = time.GetUtcNow(),
                    Status = RunStatus.Running.ToText(), WorkflowId = workflow.WorkflowId,
                });
            }

            var run = new RunRequest
            {
                RunId = runId, OwnerId = request.OwnerId, Workflow = workflow, Inputs = inputs, FinishedSteps = finished,
                FinishedItems = finishedItems, Ancestors = request.Path, JournalEntries = journalEntries,
            };
            var journal = new RunJournal(runId, writer, feed, time, secrets, prices, step => metrics.StepFinished(workflow, step));
            var result = await Executor.ExecuteAsync(run, journal, cancel.Token);
            if (result.Cancelled && cancellationToken.IsCancellationRequested && lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // the host is stopping, not the user: the child stays running and its resumed parent goes on with it
                throw new OperationCanceledException("the host is stopping", cancellationToken);
            }

            var (status, error) = result switch
            {
                { Cancelled: true } => (RunStatus.Cancelled, "Cancelled."),
                { Success: true } => (RunStatus.Succeeded, (string?)null),
                _ => (RunStatus.Failed, result.Errors.Count > 0 ? string.Join("\n", result.Errors) : "The run failed."),
            };
            var finishedAt = time.GetUtcNow();
            await writer.FinishRunAsync(runId, _holder, status, error, finishedAt);
            metrics.RunFinished(workflow.WorkflowId, status, finishedAt - startedAt);
            closed = true;
            events.Close(feed);
            feed.Publish(new RunEvent
            {
                RunId = runId, Sequence = 0, Type = RunEvent.RunFinished, Timestamp = finishedAt,
                Status = status.ToText(), Error = error,
            });

            var outputs = new JsonObject();
            foreach (var (stepId, output) in result.Outputs)
            {
                outputs[stepId] = output?.DeepClone();
            }
            return new ChildRunResult(runId, status == RunStatus.Succeeded, outputs, error?.Replace('\n', ' '), status == RunStatus.Cancelled);
        }
        catch when (!closed)
        {
            events.Close(feed);
            throw;
        }
        finally
        {
            cancellations.Unregister(runId);
        }
    }

    /// <summary>The outcome of a child that finished before: its outputs as recorded, or its error. It is not run again.</summary>
    private async Task<ChildRunResult> FinishedAsync(string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.Status, r.Error }).SingleAsync(cancellationToken);
        if (run.Status != RunStatus.Succeeded)
        {
            return new ChildRunResult(runId, false, null, $"{run.Status.ToText()}: {run.Error?.Replace('\n', ' ')}", run.Status == RunStatus.Cancelled);
        }
        var outputs = new JsonObject();
        var steps = await db.StepsOf(runId).AsNoTracking()
            .Where(s => s.Status == StepStatus.Succeeded)
            .OrderBy(s => s.Index)
            .Select(s => new { s.StepId, s.Output })
            .ToListAsync(cancellationToken);
        foreach (var step in steps)
        {
            outputs[step.StepId] = step.Output is null ? null : JsonNode.Parse(step.Output);
        }
        return new ChildRunResult(runId, true, outputs, null);
    }

    private async Task<Workflow> LoadWorkflowAsync(long versionId, CancellationToken cancellationToken)
    {
        if (versions.TryGet(versionId, out var cached))
        {
            return cached;
        }
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var definition = await db.WorkflowVersions.AsNoTracking().Where(v => v.Id == versionId).Select(v => v.Definition).SingleAsync(cancellationToken);
        return versions.GetOrParse(versionId, definition);
    }

    private sealed record ChildRow(string Id, RunStatus Status, long VersionId, string Inputs, string? Error);
}
