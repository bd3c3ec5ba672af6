using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Executes queued runs, at most <c>Runs:Concurrency</c> at once and at most <c>Runs:MaxShare</c> of them for one owner
/// (see <see cref="OwnerSlots"/>). It claims runs in batches with a lease, runs
/// each through the workflow executor with a journal that writes and publishes every step, and records each
/// run's outcome — a run that throws is recorded as failed and never stops the loop. On start-up it first takes
/// back the runs a previous process left <c>running</c> and resumes them after their last finished step.
/// </summary>
internal sealed class RunWorker(
    RunWriter writer,
    IDbContextFactory<AppDbContext> dbs,
    WorkflowVersionCache versions,
    WorkflowExecutor executor,
    RunEvents events,
    RunCancellations cancellations,
    RunSignal signal,
    WorkerName name,
    FailureHandlerStarter failureHandlers,
    Metrics.RunMetrics metrics,
    IOptions<RunOptions> options,
    TimeProvider time,
    ILogger<RunWorker> log) : BackgroundService
{
    private const int MaxClaim = 256;

    /// <summary>How often, and after what pauses, a run's final write is tried before the run is handed back.</summary>
    private static readonly TimeSpan[] FinishRetryDelays = [TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    /// <summary>Runs handed back whose release could not be written yet: tried again before every lease renewal.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _toRelease = new(StringComparer.Ordinal);

    /// <summary>This process's name in the runs' lease_owner column.</summary>
    public string WorkerId => name.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var lease = TimeSpan.FromSeconds(settings.LeaseSeconds);
        var slots = new SemaphoreSlim(settings.Concurrency, settings.Concurrency); // not disposed: a run ignoring the stop may release it late
        var owners = new OwnerSlots(settings.SlotsPerOwner);
        using var renewal = time.CreateTimer(_ => RenewLeases(lease), null, lease / 3, lease / 3);

        // in SQLite one process owns the file, so every run left running at start-up is an orphan of a previous process
        var recoverForeign = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var free = 1;
            while (free < MaxClaim && slots.Wait(0))
            {
                free++;
            }

            List<ClaimedRun> claimed;
            try
            {
                var now = time.GetUtcNow();
                claimed = await writer.ClaimAsync(WorkerId, free, recoverForeign, now, now + lease, owners);
            }
            catch (Exception e)
            {
                log.LogError(e, "Claiming queued runs failed; trying again shortly");
                slots.Release(free);
                await DelayAsync(TimeSpan.FromSeconds(1), stoppingToken);
                continue;
            }

            if (claimed.Count < free)
            {
                slots.Release(free - claimed.Count);
                recoverForeign = false;
            }
            foreach (var run in claimed)
            {
                owners.Take(run.OwnerId);
                _ = ExecuteAndReleaseAsync(run, slots, owners, stoppingToken);
            }
            if (claimed.Count == 0)
            {
                try
                {
                    await signal.WaitAsync(TimeSpan.FromSeconds(settings.PollSeconds), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        // stopping: the runs in flight see the token and stop; they stay running in the store and resume on the next
        // start, or at once on another process sharing the database. Holding every slot means none is in flight any more.
        for (var i = 0; i < settings.Concurrency; i++)
        {
            await slots.WaitAsync(CancellationToken.None);
        }
        try
        {
            await writer.ReleaseAllAsync(WorkerId, time.GetUtcNow());
        }
        catch (Exception e)
        {
            // the lease runs out on its own
            log.LogWarning("The runs of this process could not be handed back at stop ({Reason}); they resume when their lease runs out", e.Message);
        }
    }

    private async Task ExecuteAndReleaseAsync(ClaimedRun run, SemaphoreSlim slots, OwnerSlots owners, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await ExecuteRunAsync(run, stoppingToken);
        }
        catch (Exception e)
        {
            log.LogError(e, "Run {RunId} could not be recorded", run.RunId);
        }
        finally
        {
            slots.Release();
            if (owners.Release(run.OwnerId))
            {
                signal.Wake(); // the owner's runs turned away for want of a slot may go now
            }
        }
    }

    private async Task ExecuteRunAsync(ClaimedRun run, CancellationToken stoppingToken)
    {
        var feed = events.Open(run.RunId);
        using var userCancel = new CancellationTokenSource();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, userCancel.Token);
        cancellations.Register(run.RunId, userCancel);
        try
        {
            if (run.CancelRequested)
            {
                await userCancel.CancelAsync();
            }
            await ExecuteAndFinishAsync(run, feed, userCancel, cancel.Token, stoppingToken);
        }
        finally
        {
            // only now: a cancel arriving before the finish is committed must find the run, not linger as an early cancel
            cancellations.Unregister(run.RunId);
        }
    }

    private async Task ExecuteAndFinishAsync(
        ClaimedRun run, RunFeed feed, CancellationTokenSource userCancel, CancellationToken cancel, CancellationToken stoppingToken)
    {
        RunStatus status;
        string? error;
        Workflow? ran = null;
        string? failedStep = null;
        string? workflowId = null;
        var startedAt = time.GetUtcNow();
        try
        {
            var workflow = ran = await LoadWorkflowAsync(run.WorkflowVersionId, stoppingToken);
            workflowId = workflow.WorkflowId;
            metrics.RunStarted(workflowId);
            var finished = run.Resumed ? await LoadFinishedStepsAsync(run.RunId, stoppingToken) : [];
            var finishedItems = run.Resumed ? await LoadFinishedItemsAsync(run.RunId, stoppingToken) : [];
            feed.Publish(new RunEvent
            {
                RunId = run.RunId, Sequence = RunEvent.RunStartedSequence, Type = RunEvent.RunStarted, Timestamp = time.GetUtcNow(),
                Status = RunStatus.Running.ToText(), WorkflowId = workflow.WorkflowId,
            });
            foreach (var step in finished)
            {
                feed.Publish(RunJournal.StepFinishedEvent(run.RunId, step));
            }

            var request = new RunRequest
            {
                RunId = run.RunId, OwnerId = run.OwnerId, Workflow = workflow, Inputs = ReadInputs(run.Inputs), FinishedSteps = finished,
                FinishedItems = finishedItems,
            };
            var result = await executor.ExecuteAsync(request, new RunJournal(run.RunId, writer, feed, time, step => metrics.StepFinished(workflow, step)), cancel);
            (status, error) = result switch
            {
                { Cancelled: true } => (RunStatus.Cancelled, "Cancelled."),
                { Success: true } => (RunStatus.Succeeded, null),
                _ => (RunStatus.Failed, result.Errors.Count > 0 ? string.Join("\n", result.Errors) : "The run failed."),
            };
            if (status == RunStatus.Failed)
            {
                failedStep = result.Steps.FirstOrDefault(s => s.Status == StepStatus.Failed)?.StepId;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            (status, error) = (RunStatus.Cancelled, "Cancelled.");
        }
        catch (Exception e) when (StoreFailures.IsStorageFailure(e))
        {
            // a step's result could not be stored: not the run's fault, so it is not failed but resumed later
            await HandBackAsync(run, e);
            return;
        }
        catch (Exception e)
        {
            log.LogError(e, "Run {RunId} failed", run.RunId);
            (status, error) = (RunStatus.Failed, e.Message);
        }

        if (stoppingToken.IsCancellationRequested && !userCancel.IsCancellationRequested && status != RunStatus.Succeeded)
        {
            // the host is stopping, not the user: leave the run running so the next start resumes it
            return;
        }

        if (status == RunStatus.Failed && ran?.OnFailure is not null)
        {
            try
            {
                // started before the run is finished, so the run's error can say which run handles it
                if (await failureHandlers.StartAsync(run.RunId, run.OwnerId, ran, error ?? "", failedStep, stoppingToken) is { } handled)
                {
                    error = $"{error}\n{handled}";
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "The failure handler of run {RunId} could not be started", run.RunId);
            }
        }

        var finishedAt = time.GetUtcNow();
        bool recorded;
        try
        {
            recorded = await FinishAsync(run.RunId, status, error, finishedAt);
        }
        catch (Exception e) when (StoreFailures.IsStorageFailure(e))
        {
            await HandBackAsync(run, e);
            return;
        }
        if (recorded)
        {
            metrics.RunFinished(workflowId ?? "", status, finishedAt - startedAt);
            // closed first: a subscriber arriving now reads the finished run from the store
            events.Close(feed);
            feed.Publish(new RunEvent
            {
                RunId = run.RunId, Sequence = RunEvent.RunFinishedSequence(feed.StepsStarted), Type = RunEvent.RunFinished, Timestamp = finishedAt,
                Status = status.ToText(), Error = error,
            });
        }
        else
        {
            events.Close(feed);
            log.LogWarning("Run {RunId} was taken over by another worker before it finished here", run.RunId);
        }
    }

    /// <summary>The run's final write, tried again a few times when the database cannot take it (disk full, locked).</summary>
    private async Task<bool> FinishAsync(string runId, RunStatus status, string? error, DateTimeOffset finishedAt)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await writer.FinishRunAsync(runId, WorkerId, status, error, finishedAt);
            }
            catch (Exception e) when (StoreFailures.IsStorageFailure(e) && attempt < FinishRetryDelays.Length)
            {
                await Task.Delay(FinishRetryDelays[attempt], time, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// A run whose progress cannot be stored is not kept running here for ever (its lease renewed, nobody able to
    /// cancel it): its lease is released with a pause, so recovery takes it again once storage may work again and
    /// resumes it from its first unfinished step. A cancel asked for meanwhile applies when it is taken.
    /// </summary>
    private async Task HandBackAsync(ClaimedRun run, Exception e)
    {
        log.LogError("Run {RunId} could not be recorded ({Reason}); it is handed back and resumed in {Seconds} s at the earliest",
            run.RunId, e.Message, (int)StoreFailures.RetryAfter.TotalSeconds);
        _toRelease[run.RunId] = true;
        await ReleaseAsync(run.RunId);
    }

    private async Task ReleaseAsync(string runId)
    {
        try
        {
            await writer.ReleaseLeaseAsync(runId, WorkerId, time.GetUtcNow() + StoreFailures.RetryAfter);
            _toRelease.TryRemove(runId, out _);
        }
        catch (Exception e) when (StoreFailures.IsStorageFailure(e))
        {
            // stays in _toRelease: written before the next renewal, which would otherwise keep the run here
        }
    }

    private void RenewLeases(TimeSpan lease)
    {
        foreach (var runId in _toRelease.Keys)
        {
            _ = ReleaseAsync(runId);
        }
        writer.RenewLeases(WorkerId, time.GetUtcNow() + lease);
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

    private async Task<IReadOnlyList<StepRecord>> LoadFinishedStepsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var steps = await db.RunSteps.AsNoTracking()
            .Where(s => s.RunId == runId && (s.Status == StepStatus.Succeeded || s.Status == StepStatus.Failed || s.Status == StepStatus.Skipped))
            .OrderBy(s => s.Index)
            .ToListAsync(cancellationToken);
        return steps.Select(s => new StepRecord
        {
            StepId = s.StepId, Index = s.Index, Status = s.Status, Output = s.Output is null ? null : JsonNode.Parse(s.Output),
            Error = s.Error, Attempts = s.Attempts, DurationMs = s.DurationMs,
            Usage = s.PromptTokens is null && s.CompletionTokens is null ? null : new TokenUsage(s.PromptTokens ?? 0, s.CompletionTokens ?? 0),
            StartedAt = s.StartedAt ?? default, FinishedAt = s.FinishedAt ?? default,
        }).ToList();
    }

    /// <summary>The finished items of the run's for_each steps (none for a run without loops: one indexed query).</summary>
    private async Task<IReadOnlyList<ItemRecord>> LoadFinishedItemsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var items = await db.RunStepItems.AsNoTracking()
            .Where(i => i.RunId == runId)
            .OrderBy(i => i.StepIndex).ThenBy(i => i.ItemIndex)
            .ToListAsync(cancellationToken);
        return items.Select(i => new ItemRecord
        {
            StepId = i.StepId, StepIndex = i.StepIndex, ItemIndex = i.ItemIndex, Status = i.Status,
            Output = i.Output is null ? null : JsonNode.Parse(i.Output), Error = i.Error, Attempts = i.Attempts, DurationMs = i.DurationMs,
            StartedAt = i.StartedAt ?? default, FinishedAt = i.FinishedAt ?? default,
        }).ToList();
    }

    private static Dictionary<string, JsonNode?> ReadInputs(string json)
    {
        var inputs = JsonNode.Parse(json)?.AsObject() ?? [];
        var values = inputs.ToList();
        inputs.Clear(); // detach the values so the executor may bind them anywhere
        return values.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
