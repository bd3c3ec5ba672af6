using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Metrics;
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
    WaitSweeper waits,
    Metrics.RunMetrics metrics,
    Alerts.AlertSignals alerts,
    Engine.Steps.Integrations.IntegrationSecrets secrets,
    Ledger.LlmPrices prices,
    IOptions<RunOptions> options,
    TimeProvider time,
    ILogger<RunWorker> log,
    Projects.ProjectCredentials? credentials = null) : BackgroundService
{
    private const int MaxClaim = 256;

    /// <summary>How often, and after what pauses, a run's final write is tried before the run is handed back.</summary>
    private static readonly TimeSpan[] FinishRetryDelays = [TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    /// <summary>The first pause before a final write the full disk refused is tried again; it doubles up to <see cref="StoreFailures.RetryAfter"/>.</summary>
    private static readonly TimeSpan DiskFullFirstRetry = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs whose outcome waits here for the full disk to take it: never claimed again by this process meanwhile.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _recording = new(StringComparer.Ordinal);

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
            var now = time.GetUtcNow();
            try
            {
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
                if (_recording.ContainsKey(run.RunId))
                {
                    // its lease ran out while the full disk refused the renewal too: the claim renewed it, the run stays with its outcome
                    slots.Release();
                    continue;
                }
                owners.Take(run.OwnerId);
                _ = ExecuteAndReleaseAsync(run, now, slots, owners, stoppingToken);
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

    private async Task ExecuteAndReleaseAsync(ClaimedRun run, DateTimeOffset claimedAt, SemaphoreSlim slots, OwnerSlots owners, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await ExecuteRunAsync(run, claimedAt, stoppingToken);
        }
        catch (Exception e)
        {
            log.LogError(e, "Run {RunId} could not be recorded", run.RunId);
        }
        finally
        {
            // the owner's count first: a claim woken by the freed slot must not still see the owner at its share
            var wasAtShare = owners.Release(run.OwnerId);
            slots.Release();
            if (wasAtShare)
            {
                signal.Wake(); // the owner's runs turned away for want of a slot may go now
            }
        }
    }

    private async Task ExecuteRunAsync(ClaimedRun run, DateTimeOffset claimedAt, CancellationToken stoppingToken)
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
            await ExecuteAndFinishAsync(run, claimedAt, feed, userCancel, cancel.Token, stoppingToken);
        }
        finally
        {
            // only now: a cancel arriving before the finish is committed must find the run, not linger as an early cancel
            cancellations.Unregister(run.RunId);
        }
    }

    private async Task ExecuteAndFinishAsync(
        ClaimedRun run, DateTimeOffset claimedAt, RunFeed feed, CancellationTokenSource userCancel, CancellationToken cancel, CancellationToken stoppingToken)
    {
        RunStatus status;
        string? error;
        Workflow? ran = null;
        string? failedStep = null;
        RunJournal? journal = null;
        UnstoredStep? unstored = null;
        string? workflowId = null;
        var startedAt = time.GetUtcNow();
        using var span = RunTracing.StartRun(run.RunId, run.TraceParent);
        try
        {
            var workflow = ran = await LoadWorkflowAsync(run.WorkflowVersionId, stoppingToken);
            workflowId = workflow.WorkflowId;
            metrics.RunStarted(workflowId);
            RunTracing.RunLoaded(span, workflowId);
            var finished = run.Resumed ? await RunProgress.FinishedStepsAsync(dbs, run.RunId, stoppingToken) : [];
            var finishedItems = run.Resumed ? await RunProgress.FinishedItemsAsync(dbs, run.RunId, stoppingToken) : [];
            var journalEntries = run.Resumed ? await RunProgress.JournalEntriesAsync(dbs, run.RunId, stoppingToken) : [];
            if (run.Resumed)
            {
                // what it had stored comes first, with the ids it was sent with: a page or client that reconnects misses nothing
                await events.ResumeAsync(feed, stoppingToken);
            }
            else
            {
                feed.Publish(new RunEvent
                {
                    RunId = run.RunId, Sequence = 0, Type = RunEvent.RunStarted, Timestamp = time.GetUtcNow(),
                    Status = RunStatus.Running.ToText(), WorkflowId = workflow.WorkflowId,
                });
            }

            var request = new RunRequest
            {
                RunId = run.RunId, OwnerId = run.OwnerId, Workflow = workflow, Inputs = ReadInputs(run.Inputs), FinishedSteps = finished,
                FinishedItems = finishedItems, JournalEntries = journalEntries,
            };
            // its steps (and child runs) use the run's project's credentials: kept in memory per project, no read per step
            using var projectCredentials = credentials is null ? null
                : Engine.Steps.Integrations.IntegrationSecrets.Use(await credentials.ScopeAsync(run.OwnerId, stoppingToken));
            journal = new RunJournal(run.RunId, writer, feed, time, secrets, prices, step =>
            {
                metrics.StepFinished(workflow, step);
                RunTracing.StepFinished(span, workflow, step);
            });
            var result = await executor.ExecuteAsync(request, journal, cancel);
            if (result.Waiting is not null && await PauseAsync(run, feed, result))
            {
                return;
            }
            (status, error) = result switch
            {
                // it could not pause because a cancel came first
                { Waiting: not null } => (RunStatus.Cancelled, "Cancelled."),
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
        catch (Exception e) when (StoreFailures.IsDiskFull(e))
        {
            // a full disk does not pass by itself: resumed later, the run would only fail the same way, so it fails now
            // with what to do, and the step whose result was refused is recorded failed with it
            unstored = journal?.Unstored;
            error = DiskFullError(run.RunId, unstored);
            log.LogError("Run {RunId} fails: {Reason}", run.RunId, e.Message);
            status = RunStatus.Failed;
            failedStep = unstored?.StepId;
            if (unstored?.Finished is { } record)
            {
                unstored = unstored with
                {
                    Finished = record with { Status = StepStatus.Failed, Output = null, Error = StepNotStored, Ledger = null, Wait = null },
                };
            }
        }
        catch (Exception e) when (StoreFailures.IsStorageFailure(e))
        {
            // a step's result could not be stored for a reason that passes (a lock, a restart): not the run's fault, so
            // it is not failed but resumed later
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

        // stored, published and handed to the failure handler only redacted
        error = RunJournal.Redact(error, secrets.Redaction);
        Run? handlerRun = null;
        if (status == RunStatus.Failed && ran?.OnFailure is not null)
        {
            try
            {
                // prepared before the run is finished, so the run's error can say which run handles it
                if (await failureHandlers.PrepareAsync(run.RunId, run.OwnerId, ran, error ?? "", failedStep, stoppingToken) is { } handled)
                {
                    error = $"{error}\n{handled.Sentence}";
                    handlerRun = handled.HandlerRun;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "The failure handler of run {RunId} could not be started", run.RunId);
            }
        }

        var finishedAt = time.GetUtcNow();
        long? failedStepEvent = unstored?.Finished is null ? null : feed.Reserve();
        bool recorded;
        try
        {
            recorded = await FinishAsync(run.RunId, status, error, finishedAt, handlerRun, unstored, failedStepEvent, stoppingToken);
        }
        catch (Exception e) when (StoreFailures.IsStorageFailure(e))
        {
            SkipReserved(feed, failedStepEvent);
            await HandBackAsync(run, e);
            return;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopped while the full disk refused the outcome: the run stays running, and the next start resumes it
            SkipReserved(feed, failedStepEvent);
            return;
        }
        if (recorded && failedStepEvent is { } number)
        {
            feed.Publish(number, RunJournal.StepFinishedEvent(run.RunId, number, unstored!.Finished!));
        }
        else
        {
            SkipReserved(feed, failedStepEvent);
        }
        if (recorded && handlerRun is not null)
        {
            signal.Wake();
        }
        if (recorded)
        {
            metrics.RunFinished(workflowId ?? "", status, finishedAt - startedAt);
            RunTracing.RunFinished(span, status.ToText(), error);
            alerts.RunFinished(run.OwnerId, workflowId ?? "", run.RunId, status, error, finishedAt - startedAt);
            // closed first: a subscriber arriving now reads the finished run from the store
            events.Close(feed);
            feed.Publish(new RunEvent
            {
                RunId = run.RunId, Sequence = 0, Type = RunEvent.RunFinished, Timestamp = finishedAt,
                Status = status.ToText(), Error = error,
                Stored = feed.HasWaiter ? Stored(run, claimedAt, ran, journal, status, error, finishedAt) : null,
            });
            events.Relay?.Ended(feed, status);
        }
        else
        {
            events.Close(feed);
            log.LogWarning("Run {RunId} was taken over by another worker before it finished here", run.RunId);
        }
    }

    /// <summary>A number reserved for an event that will not come: the events after it go on.</summary>
    private static void SkipReserved(RunFeed feed, long? number)
    {
        if (number is { } reserved)
        {
            feed.Skip(reserved);
        }
    }

    /// <summary>
    /// The run and its steps as this worker just stored them, for the requests waiting for it; null when the store holds
    /// steps this process did not write (a resumed or test run, a step the full disk refused) or a step's start without its finish.
    /// </summary>
    private static RunDetails? Stored(
        ClaimedRun run, DateTimeOffset claimedAt, Workflow? workflow, RunJournal? journal, RunStatus status, string? error, DateTimeOffset finishedAt)
    {
        // a step the full disk refused is recorded with the run's end, not by the journal: read back from the store
        if (run.Resumed || workflow is null || journal is null || journal.Unstored is not null || journal.StoredSteps() is not { } steps)
        {
            return null;
        }
        // started_at is the claim's time for a run claimed for the first time (see RunSql's claim)
        return new RunDetails(new Run
        {
            Id = run.RunId, OwnerId = run.OwnerId, WorkflowVersionId = run.WorkflowVersionId, WorkflowId = workflow.WorkflowId,
            Inputs = run.Inputs, Status = status, Error = error, TraceParent = run.TraceParent,
            StartedAt = RunJournal.AsStored(claimedAt), FinishedAt = RunJournal.AsStored(finishedAt),
        }, steps);
    }

    /// <summary>
    /// An approval or wait step waits: the run leaves the worker as <c>waiting</c> (its slot goes to other runs) with
    /// its waits in the database, where an answer or the <see cref="WaitSweeper"/> finds them and queues it again.
    /// False when a cancel came first.
    /// </summary>
    private async Task<bool> PauseAsync(ClaimedRun run, RunFeed feed, WorkflowResult result)
    {
        var waiting = result.Steps.Where(s => s.Status == StepStatus.Waiting && s.Wait is not null).ToList();
        var now = time.GetUtcNow();
        if (!await writer.PauseRunAsync(run.RunId, WorkerId, waiting, now))
        {
            return false;
        }
        events.Pause(feed, result.Waiting!, now);
        events.Relay?.Ended(feed, RunStatus.Waiting);
        waits.Wake();
        return true;
    }

    /// <summary>
    /// The run's final write. When the database cannot take it for a reason that passes (locked, restarting) it is
    /// tried a few times, then the run is handed back. When the disk is full the outcome is kept here and tried again
    /// with growing pauses until space returns, the run's lease renewed meanwhile so no worker takes it; if the process
    /// stops first, the run is left running and recovery resumes it as after any crash.
    /// </summary>
    private async Task<bool> FinishAsync(
        string runId, RunStatus status, string? error, DateTimeOffset finishedAt, Run? handlerRun, UnstoredStep? failedStep, long? failedStepEvent,
        CancellationToken stoppingToken)
    {
        var passing = 0;
        var pause = DiskFullFirstRetry;
        try
        {
            while (true)
            {
                try
                {
                    return await writer.FinishRunAsync(runId, WorkerId, status, error, finishedAt, handlerRun, failedStep, failedStepEvent);
                }
                catch (Exception e) when (StoreFailures.IsDiskFull(e))
                {
                    if (_recording.TryAdd(runId, true))
                    {
                        log.LogError("Run {RunId} ended {Status}, but the full disk refused its outcome ({Reason}); it is kept and tried again until space returns",
                            runId, status.ToText(), e.Message);
                    }
                    await Task.Delay(pause, time, stoppingToken);
                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, StoreFailures.RetryAfter.Ticks));
                }
                catch (Exception e) when (StoreFailures.IsStorageFailure(e) && passing < FinishRetryDelays.Length)
                {
                    await Task.Delay(FinishRetryDelays[passing++], time, CancellationToken.None);
                }
            }
        }
        finally
        {
            _recording.TryRemove(runId, out _);
        }
    }

    /// <summary>The error of the step whose result the full disk refused; the run's error says what to do.</summary>
    internal const string StepNotStored = "The disk is full: this step's result could not be stored.";

    /// <summary>The error of a run failed by a full disk: which step's result was refused, and what to do.</summary>
    internal static string DiskFullError(string runId, UnstoredStep? step) => step is null
        ? "The run's progress could not be stored: the disk is full (or the database reached Database:MaxSizeMegabytes). " +
          $"Free some space, then resume the run (\"Resume from …\" on its page, or POST /api/runs/{runId}/resume) or run it again."
        : $"Step '{step.StepId}' (step {step.Index + 1}) ran, but its result could not be stored: the disk is full " +
          "(or the database reached Database:MaxSizeMegabytes). " +
          $"Free some space, then resume the run from that step (\"Resume from {step.StepId}\" on its page, or POST /api/runs/{runId}/resume): " +
          $"the steps before it keep their stored results, and '{step.StepId}' runs again.";

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

    internal static Dictionary<string, JsonNode?> ReadInputs(string json)
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
