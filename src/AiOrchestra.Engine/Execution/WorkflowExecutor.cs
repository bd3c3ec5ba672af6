using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// Runs a workflow's steps in order, binding each output as <c>&lt;step_id&gt;_output</c> (and as <c>&lt;step_id&gt;</c>).
/// Parameters are rendered right before their step; transient failures are retried with backoff; each attempt
/// has a time limit (the step's <c>timeout_seconds</c>, else the default of <see cref="ExecutionLimits"/>); cancelling
/// the run's token stops it between steps and aborts the step in flight. Rendered text and kept output are capped.
/// </summary>
public sealed partial class WorkflowExecutor
{
    private readonly RetryDelay _retryDelay;

    public WorkflowExecutor(StepCatalog catalog, TimeProvider timeProvider, ExecutionLimits? limits = null)
        : this(catalog, timeProvider, Random.Shared, limits)
    {
    }

    /// <param name="jitter">Source of retry jitter; tests pass a fixed one.</param>
    public WorkflowExecutor(StepCatalog catalog, TimeProvider timeProvider, Random jitter, ExecutionLimits? limits = null)
    {
        Catalog = catalog;
        Time = timeProvider;
        _retryDelay = new RetryDelay(jitter);
        Limits = limits ?? ExecutionLimits.Default;
    }

    internal StepCatalog Catalog { get; }
    internal TimeProvider Time { get; }

    /// <summary>Time limits, output caps, and how large a loop and how many steps or items at once a run may have.</summary>
    public ExecutionLimits Limits { get; init; }

    /// <summary>
    /// Runs (or resumes) <paramref name="request"/>. Never throws for a step's failure: failures, time-outs and
    /// cancellation are in the result. Journal calls are made without the run's token, so a cancelled run's
    /// last step is still written down.
    /// </summary>
    public async Task<WorkflowResult> ExecuteAsync(RunRequest request, IRunJournal journal, CancellationToken cancellationToken)
    {
        var workflow = request.Workflow;
        var scope = new Dictionary<string, JsonNode?>(workflow.Variables, StringComparer.Ordinal);
        foreach (var (name, value) in request.Inputs)
        {
            scope[name] = value;
        }

        var alreadyFinished = new Dictionary<string, StepRecord>(StringComparer.Ordinal);
        foreach (var record in request.FinishedSteps)
        {
            if (record.Status is StepStatus.Succeeded or StepStatus.Failed or StepStatus.Skipped)
            {
                alreadyFinished[record.StepId] = record;
            }
        }

        var state = new RunState(scope);
        if (HasDependencies(workflow))
        {
            await ExecuteGraphAsync(request, state, alreadyFinished, journal, cancellationToken);
        }
        else
        {
            var reached = ReachedByNextStep(workflow);
            for (var index = 0; index < workflow.Steps.Count && !state.Aborted && !state.Cancelled && state.Waiting is null; index++)
            {
                var step = workflow.Steps[index];
                if (reached is not null && !reached[index] && !alreadyFinished.ContainsKey(step.StepId))
                {
                    alreadyFinished[step.StepId] = NotReached(step, index);
                    await journal.StepFinishedAsync(alreadyFinished[step.StepId], CancellationToken.None);
                }
                if (!alreadyFinished.TryGetValue(step.StepId, out var record))
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        state.Cancel(step.StepId);
                        break;
                    }
                    record = await RunStepAsync(request, step, index, scope, state.FailedStepIds, journal, cancellationToken);
                    record = KeepWithinOutputLimits(record, state);
                    await journal.StepFinishedAsync(record, CancellationToken.None);
                }
                else
                {
                    state.CountOutput(JsonSize.Of(record.Output));
                }
                state.Add(step, record);
            }
        }

        return new WorkflowResult
        {
            // A failure the workflow chose to continue past (on_error: continue) is reported in Errors
            // but does not fail the run, as continue-on-error does in GitHub Actions.
            Success = !state.Aborted && !state.Cancelled && state.Waiting is null,
            Cancelled = state.Cancelled,
            Waiting = state.Aborted || state.Cancelled ? null : state.Waiting,
            Outputs = state.Outputs,
            Errors = state.Errors,
            Steps = state.Steps,
        };
    }

    private async Task<StepRecord> RunStepAsync(
        RunRequest request,
        WorkflowStep step,
        int index,
        IReadOnlyDictionary<string, JsonNode?> scope,
        HashSet<string> failedStepIds,
        IRunJournal journal,
        CancellationToken cancellationToken)
    {
        var startedAt = Time.GetUtcNow();
        var startTimestamp = Time.GetTimestamp();

        StepRecord Finish(StepStatus status, int attempts, JsonNode? output, string? error, TokenUsage? usage = null, StepLedger? ledger = null) => new()
        {
            Ledger = ledger,
            StepId = step.StepId,
            Index = index,
            Status = status,
            Output = output,
            Error = error,
            Attempts = attempts,
            Usage = usage,
            DurationMs = (long)Time.GetElapsedTime(startTimestamp).TotalMilliseconds,
            StartedAt = startedAt,
            FinishedAt = Time.GetUtcNow(),
        };

        if (step.When is not null && !step.ConditionPerItem && ShouldSkip(step, scope, out var conditionError))
        {
            return conditionError is null ? Finish(StepStatus.Skipped, 0, null, null) : Finish(StepStatus.Failed, 0, null, conditionError);
        }
        await journal.StepStartedAsync(step.StepId, index, 1, startedAt, CancellationToken.None);

        var stepType = Catalog.Find(step.StepType);
        if (stepType is null)
        {
            var installed = string.Join(", ", Catalog.Types.Select(t => t.Name).Order(StringComparer.Ordinal));
            return Finish(StepStatus.Failed, 1, null, $"step type '{step.StepType}' is not installed (installed: {installed})");
        }
        if (!stepType.Actions.Any(a => a.Name == step.Action))
        {
            var actions = string.Join(", ", stepType.Actions.Select(a => a.Name));
            return Finish(StepStatus.Failed, 1, null, $"step type '{step.StepType}' has no action '{step.Action}' (it has: {actions})");
        }
        if (stepType is IWaitingStepType waiting)
        {
            return BeginWait(request, step, waiting, scope, failedStepIds, Finish);
        }
        if (step.ForEach is not null)
        {
            var loop = await RunLoopAsync(request, step, index, stepType, scope, failedStepIds, journal, cancellationToken);
            return Finish(loop.Status, loop.Calls, loop.Output, loop.Error, loop.Usage, loop.Ledger);
        }

        JsonObject parameters;
        try
        {
            parameters = RenderParameters(step, scope, failedStepIds, Limits.MaxRenderedParameterBytes);
        }
        catch (TemplateException e)
        {
            return Finish(StepStatus.Failed, 1, null, e.Message);
        }

        var call = await CallAsync(request, step, index, null, stepType, parameters, scope, journal, reportRetries: true, cancellationToken);
        return Finish(call.Status, call.Calls, call.Output, call.Error, call.Usage, call.Ledger);
    }

    /// <summary>
    /// An approval or wait step: asks the step type what it waits for and records the step as waiting, which pauses
    /// the run. Nothing to wait for (a time already passed) is a success with a null output.
    /// </summary>
    private StepRecord BeginWait(
        RunRequest request, WorkflowStep step, IWaitingStepType stepType, IReadOnlyDictionary<string, JsonNode?> scope,
        HashSet<string> failedStepIds, Func<StepStatus, int, JsonNode?, string?, TokenUsage?, StepLedger?, StepRecord> finish)
    {
        try
        {
            var parameters = RenderParameters(step, scope, failedStepIds, Limits.MaxRenderedParameterBytes);
            var context = new StepContext { RunId = request.RunId, StepId = step.StepId, Attempt = 1, OwnerId = request.OwnerId, Values = scope };
            var wait = stepType.Begin(new StepCall(step.Action, parameters, context), Time.GetUtcNow());
            return wait is null
                ? finish(StepStatus.Succeeded, 1, null, null, null, null)
                : finish(StepStatus.Waiting, 1, null, null, null, null) with { Wait = wait };
        }
        catch (Exception e) when (e is TemplateException or StepFailedException)
        {
            return finish(StepStatus.Failed, 1, null, e.Message, null, null);
        }
    }

    /// <summary>Calls the step type with the rendered parameters, retrying transient failures as the step says.</summary>
    private async Task<CallOutcome> CallAsync(
        RunRequest request,
        WorkflowStep step,
        int index,
        int? itemIndex,
        IStepType stepType,
        JsonObject parameters,
        IReadOnlyDictionary<string, JsonNode?> values,
        IRunJournal journal,
        bool reportRetries,
        CancellationToken cancellationToken)
    {
        var maxAttempts = Math.Max(1, step.Retry?.MaxAttempts ?? 1);
        // The step's recorded attempts are the calls it made: an integration's HTTP pipeline may retry inside one
        // step attempt (a 429 then a success is two), an offline step is one call per attempt.
        var calls = 0;
        // every attempt's prompts and model calls: a failed attempt was sent and may have been paid for too
        StepLedger? ledger = null;
        // one journal for every attempt: a retry goes on after the parts the attempts before it finished
        var stepJournal = new StepJournal(
            request.JournalEntries.Where(e => e.StepIndex == index && e.ItemIndex == (itemIndex ?? -1)).OrderBy(e => e.Sequence).Select(e => e.Entry),
            (sequence, entry) => journal.EntryRecordedAsync(new JournalEntry(step.StepId, index, itemIndex ?? -1, sequence, entry, Time.GetUtcNow()), CancellationToken.None));
        for (var attempt = 1; ; attempt++)
        {
            if (attempt > 1 && reportRetries)
            {
                await journal.StepStartedAsync(step.StepId, index, attempt, Time.GetUtcNow(), CancellationToken.None);
            }
            var context = new StepContext
            {
                RunId = request.RunId,
                StepId = step.StepId,
                Attempt = attempt,
                StepIndex = index,
                ItemIndex = itemIndex,
                WorkflowId = request.Workflow.WorkflowId,
                Ancestors = request.Ancestors,
                OwnerId = request.OwnerId,
                Values = values,
                MaxRenderedBytes = Limits.MaxRenderedParameterBytes,
                ReportDelta = text => journal.StepDelta(step.StepId, text),
                Journal = stepJournal,
            };
            // A retried step gets its own copy per attempt so changes it makes to its parameters cannot leak into the next.
            var call = new StepCall(step.Action, maxAttempts > 1 ? parameters.DeepClone().AsObject() : parameters, context);
            var outcome = await AttemptAsync(stepType, call, TimeLimitOf(step, stepType), cancellationToken);
            calls += Math.Max(1, context.HttpAttempts);
            if (context.Ledger is { } attemptLedger)
            {
                if (ledger is null)
                {
                    ledger = attemptLedger;
                }
                else
                {
                    ledger.Add(attemptLedger);
                }
            }

            if (outcome.Cancelled)
            {
                return new(StepStatus.Cancelled, calls, null, "the run was cancelled during this step", context.Usage, ledger);
            }
            if (outcome.Error is null)
            {
                return new(StepStatus.Succeeded, calls, outcome.Output, null, context.Usage, ledger);
            }
            if (!outcome.Transient || attempt >= maxAttempts)
            {
                var error = attempt > 1 ? $"{outcome.Error} (after {attempt} attempts)" : outcome.Error;
                return new(StepStatus.Failed, calls, null, error, context.Usage, ledger);
            }

            var delay = _retryDelay.Next(step.Retry!, attempt, outcome.RetryAfter);
            try
            {
                await Task.Delay(delay, Time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new(StepStatus.Cancelled, calls, null, $"the run was cancelled while waiting to retry after: {outcome.Error}", context.Usage, ledger);
            }
        }
    }

    /// <summary>The step's own <c>timeout_seconds</c>, else the default for its kind of step: no step can hang for ever.</summary>
    private TimeLimit TimeLimitOf(WorkflowStep step, IStepType stepType)
    {
        if (step.TimeoutSeconds is > 0 and var seconds)
        {
            return new TimeLimit(TimeSpan.FromSeconds(seconds), $"timed out after {seconds} s");
        }
        if (stepType.RunsOtherSteps)
        {
            return new TimeLimit(Timeout.InfiniteTimeSpan, "");
        }
        var (limit, setting, kind) = stepType.UsesLanguageModel
            ? (Limits.LlmStepTimeout, ExecutionLimits.LlmStepTimeoutSetting, "a language-model step")
            : (Limits.StepTimeout, ExecutionLimits.StepTimeoutSetting, "a step");
        return new TimeLimit(limit,
            $"timed out after {limit.TotalSeconds:0.#} s, the default time limit of {kind} (set timeout_seconds on the step, or {setting})");
    }

    /// <summary>A step whose output would go over the per-step or per-run limit fails instead of keeping it.</summary>
    private StepRecord KeepWithinOutputLimits(StepRecord record, RunState state)
    {
        if (record.Status != StepStatus.Succeeded || record.Output is null)
        {
            return record;
        }
        var runRoom = Limits.MaxRunOutputBytes - state.OutputBytes;
        var size = JsonSize.Of(record.Output, Math.Min(Limits.MaxStepOutputBytes, runRoom));
        string? error = null;
        if (size > Limits.MaxStepOutputBytes)
        {
            error = $"the output is larger than {JsonSize.Format(Limits.MaxStepOutputBytes)}, the most one step may keep "
                    + $"(setting {ExecutionLimits.StepOutputSetting}); ask for less, or raise the limit";
        }
        else if (size > runRoom)
        {
            error = $"the run's outputs together would be larger than {JsonSize.Format(Limits.MaxRunOutputBytes)}, the most one run may keep "
                    + $"(setting {ExecutionLimits.RunOutputSetting}); ask for less, or raise the limit";
        }
        if (error is null)
        {
            state.CountOutput(size);
            return record;
        }
        return record with { Status = StepStatus.Failed, Output = null, Error = error };
    }

    private async Task<AttemptOutcome> AttemptAsync(IStepType stepType, StepCall call, TimeLimit timeLimit, CancellationToken runToken)
    {
        using var timeout = new CancellationTokenSource(timeLimit.Limit, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(runToken, timeout.Token);
        var token = linked.Token;
        try
        {
            // WaitAsync ends the attempt on time-out or cancel even when a step type ignores its token.
            var output = await stepType.ExecuteAsync(call, token).WaitAsync(token);
            return new AttemptOutcome(output, null, false, null, false);
        }
        catch (Exception) when (runToken.IsCancellationRequested)
        {
            return new AttemptOutcome(null, null, false, null, true);
        }
        catch (Exception) when (timeout.IsCancellationRequested)
        {
            return Failure(timeLimit.Message, transient: true);
        }
        catch (StepFailedException e)
        {
            return Failure(e.Message, e.Transient, e.RetryAfter);
        }
        catch (Exception e) when (e is TimeoutException or HttpRequestException)
        {
            return Failure(MessageOf(e), transient: true);
        }
        catch (OperationCanceledException e) when (e.InnerException is TimeoutException inner)
        {
            return Failure($"timed out: {MessageOf(inner)}", transient: true);
        }
        catch (Exception e)
        {
            return Failure(MessageOf(e), transient: false);
        }
    }

    private static AttemptOutcome Failure(string error, bool transient, TimeSpan? retryAfter = null) =>
        new(null, error, transient, retryAfter, false);

    private static string MessageOf(Exception e) => string.IsNullOrWhiteSpace(e.Message) ? e.GetType().Name : e.Message;

    /// <summary>Renders each parameter on its own so an error can name the parameter it is in.</summary>
    private static JsonObject RenderParameters(
        WorkflowStep step, IReadOnlyDictionary<string, JsonNode?> scope, HashSet<string> failedStepIds, long maxBytes)
    {
        var rendered = new JsonObject();
        foreach (var (name, value) in step.Parameters)
        {
            try
            {
                rendered[name] = Template.RenderNode(value, scope, new RenderBudget(maxBytes));
            }
            catch (TemplateLimitException e)
            {
                throw new TemplateException($"parameter '{name}': {e.Message}");
            }
            catch (TemplateException e)
            {
                throw new TemplateException($"parameter '{name}': {ExplainRenderError(e, value, failedStepIds)}");
            }
        }
        return rendered;
    }

    /// <summary>A reference to a step that failed earlier (on_error: continue) says so instead of "unknown variable".</summary>
    private static string ExplainRenderError(TemplateException error, JsonNode? value, HashSet<string> failedStepIds)
    {
        if (failedStepIds.Count > 0)
        {
            try
            {
                foreach (var (_, reference) in Template.FindReferences(value, ""))
                {
                    var stepId = reference.Name.EndsWith("_output", StringComparison.Ordinal) ? reference.Name[..^"_output".Length] : reference.Name;
                    if (failedStepIds.Contains(stepId))
                    {
                        return $"step '{stepId}' failed earlier, so '{{{{{reference.Text}}}}}' has no value";
                    }
                }
            }
            catch (TemplateException)
            {
                // The text itself does not parse; the original message already says why.
            }
        }
        return error.Message;
    }

    private sealed record TimeLimit(TimeSpan Limit, string Message);

    private sealed record AttemptOutcome(JsonNode? Output, string? Error, bool Transient, TimeSpan? RetryAfter, bool Cancelled);

    private readonly record struct CallOutcome(StepStatus Status, int Calls, JsonNode? Output, string? Error, TokenUsage? Usage, StepLedger? Ledger = null);
}
