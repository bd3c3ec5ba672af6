using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Expressions;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// Control flow: <c>when</c> (a false condition skips the step), <c>for_each</c> (one call per item, each item
/// recorded as it finishes) and <c>depends_on</c> (steps whose dependencies are met run at once). A workflow with
/// none of them takes the plain sequential path of <see cref="ExecuteAsync"/>.
/// </summary>
public sealed partial class WorkflowExecutor
{
    private const int ItemErrorsShown = 3;

    private static bool HasDependencies(Workflow workflow)
    {
        foreach (var step in workflow.Steps)
        {
            if (step.DependsOn is not null)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when the step's condition is false, or cannot be evaluated (then <paramref name="error"/> says why).</summary>
    private static bool ShouldSkip(WorkflowStep step, IReadOnlyDictionary<string, JsonNode?> scope, out string? error)
    {
        error = null;
        try
        {
            return !step.Condition!.Evaluate(scope);
        }
        catch (ConditionException e)
        {
            error = $"when: {e.Message}";
            return true;
        }
    }

    /// <summary>
    /// The steps the original AI-Orchestra's next_step chain reaches, from the first step until a null (a step without
    /// next_step goes on to the one listed after it); null when no step jumps, so every step runs as listed.
    /// </summary>
    private static bool[]? ReachedByNextStep(Workflow workflow)
    {
        var steps = workflow.Steps;
        var jumps = false;
        for (var i = 0; i < steps.Count && !jumps; i++)
        {
            jumps = steps[i].NextStepWritten && (steps[i].NextStep is null ? i < steps.Count - 1 : i + 1 >= steps.Count || steps[i + 1].StepId != steps[i].NextStep);
        }
        if (!jumps)
        {
            return null;
        }
        var reached = new bool[steps.Count];
        // validation lets next_step go forward only, so the chain ends
        for (var i = 0; i >= 0 && i < steps.Count;)
        {
            reached[i] = true;
            var step = steps[i];
            i = !step.NextStepWritten ? i + 1
                : step.NextStep is null ? -1
                : steps.ToList().FindIndex(i + 1, s => s.StepId == step.NextStep);
        }
        return reached;
    }

    private StepRecord NotReached(WorkflowStep step, int index)
    {
        var now = Time.GetUtcNow();
        return new StepRecord
        {
            StepId = step.StepId, Index = index, Status = StepStatus.Skipped, Attempts = 0, StartedAt = now, FinishedAt = now,
        };
    }

    /// <summary>
    /// Runs the steps as a graph: a step starts once every step it waits for has finished (a step without
    /// depends_on waits for the one before it), at most <see cref="ExecutionLimits.MaxConcurrency"/> at once.
    /// Outputs are bound on this loop only; each step reads a copy of the values bound when it started.
    /// A failure that aborts starts nothing new; the steps in flight finish and are recorded.
    /// </summary>
    private async Task ExecuteGraphAsync(
        RunRequest request, RunState state, Dictionary<string, StepRecord> alreadyFinished, IRunJournal journal, CancellationToken cancellationToken)
    {
        var workflow = request.Workflow;
        var steps = workflow.Steps;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            ids.TryAdd(steps[i].StepId, i);
        }
        var dependencies = new int[steps.Count][];
        var finished = new bool[steps.Count];
        var started = new bool[steps.Count];
        for (var i = 0; i < steps.Count; i++)
        {
            dependencies[i] = WorkflowValidator.Dependencies(workflow, i, ids).ToArray();
            if (alreadyFinished.TryGetValue(steps[i].StepId, out var record))
            {
                started[i] = finished[i] = true;
                state.CountOutput(JsonSize.Of(record.Output));
                state.Add(steps[i], record);
            }
        }

        var running = new Dictionary<Task<StepRecord>, int>();
        while (true)
        {
            for (var i = 0; i < steps.Count && running.Count < Limits.MaxConcurrency && !state.Aborted && !state.Cancelled && state.Waiting is null; i++)
            {
                if (started[i] || !dependencies[i].All(d => finished[d]))
                {
                    continue;
                }
                if (cancellationToken.IsCancellationRequested)
                {
                    state.Cancel(steps[i].StepId);
                    break;
                }
                started[i] = true;
                var scope = new Dictionary<string, JsonNode?>(state.Scope, StringComparer.Ordinal);
                var failed = new HashSet<string>(state.FailedStepIds, StringComparer.Ordinal);
                running.Add(RunAndRecordAsync(request, steps[i], i, scope, failed, state, journal, cancellationToken), i);
            }
            if (running.Count == 0)
            {
                break;
            }
            var done = await Task.WhenAny(running.Keys);
            var index = running[done];
            running.Remove(done);
            finished[index] = true;
            state.Add(steps[index], await done);
        }
        state.Steps.Sort((a, b) => a.Index.CompareTo(b.Index));
    }

    private async Task<StepRecord> RunAndRecordAsync(
        RunRequest request, WorkflowStep step, int index, Dictionary<string, JsonNode?> scope, HashSet<string> failedStepIds,
        RunState state, IRunJournal journal, CancellationToken cancellationToken)
    {
        var record = KeepWithinOutputLimits(await RunStepAsync(request, step, index, scope, failedStepIds, journal, cancellationToken), state);
        await journal.StepFinishedAsync(record, CancellationToken.None);
        return record;
    }

    /// <summary>
    /// Runs a for_each step: one call per item, at most <c>concurrency</c> at once, each finished item written to the
    /// journal before the next is taken. Items a previous attempt finished are taken from the request, not called.
    /// The output is the list of the items' outputs (null for a failed item).
    /// </summary>
    private async Task<CallOutcome> RunLoopAsync(
        RunRequest request, WorkflowStep step, int index, IStepType stepType, IReadOnlyDictionary<string, JsonNode?> scope,
        HashSet<string> failedStepIds, IRunJournal journal, CancellationToken cancellationToken)
    {
        if (!TryReadItems(step, scope, out var items, out var problem))
        {
            return new(StepStatus.Failed, 1, null, problem, null);
        }
        Dictionary<int, ItemRecord>? recorded = null;
        foreach (var item in request.FinishedItems)
        {
            if (item.StepId == step.StepId && item.Status is StepStatus.Succeeded or StepStatus.Failed or StepStatus.Skipped)
            {
                (recorded ??= [])[item.ItemIndex] = item;
            }
        }

        var itemsDone = recorded?.Count(r => r.Key < items.Count) ?? 0;
        journal.LoopProgress(step.StepId, index, itemsDone, items.Count);
        var results = new JsonNode?[items.Count];
        var errors = new string?[items.Count];
        var next = -1;
        var calls = 0;
        var stop = false;
        var cancelled = false;
        var usage = new TokenUsage(0, 0);
        var usageSeen = false;
        StepLedger? ledger = null;
        var gate = new object();

        async Task WorkAsync()
        {
            while (!Volatile.Read(ref stop))
            {
                var i = Interlocked.Increment(ref next);
                if (i >= items.Count)
                {
                    return;
                }
                ItemRecord? item;
                if (recorded is not null && recorded.TryGetValue(i, out var done))
                {
                    item = done with { Output = done.Output?.DeepClone() };
                }
                else
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        Volatile.Write(ref cancelled, true);
                        return;
                    }
                    var (fresh, itemUsage, itemLedger) = await RunItemAsync(request, step, index, stepType, scope, failedStepIds, items[i], i, journal, cancellationToken);
                    Interlocked.Add(ref calls, fresh.Attempts);
                    if (itemUsage is not null)
                    {
                        lock (gate)
                        {
                            usage = new TokenUsage(usage.PromptTokens + itemUsage.PromptTokens, usage.CompletionTokens + itemUsage.CompletionTokens);
                            usageSeen = true;
                        }
                    }
                    if (itemLedger is not null)
                    {
                        lock (gate)
                        {
                            (ledger ??= new StepLedger()).Add(itemLedger);
                        }
                    }
                    if (fresh.Status == StepStatus.Cancelled)
                    {
                        // not recorded: a resumed run calls this item again
                        Volatile.Write(ref cancelled, true);
                        Volatile.Write(ref stop, true);
                        return;
                    }
                    await journal.ItemFinishedAsync(fresh, CancellationToken.None);
                    journal.LoopProgress(step.StepId, index, Interlocked.Increment(ref itemsDone), items.Count);
                    item = fresh;
                }
                results[i] = item.Output;
                if (item.Status == StepStatus.Failed)
                {
                    errors[i] = item.Error;
                    if (step.OnError == OnError.Abort)
                    {
                        Volatile.Write(ref stop, true);
                    }
                }
            }
        }

        var concurrency = Math.Clamp(step.Concurrency ?? 1, 1, Math.Max(1, Limits.MaxConcurrency));
        var workers = new Task[Math.Max(1, Math.Min(concurrency, items.Count))];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = WorkAsync();
        }
        await Task.WhenAll(workers);

        var totalUsage = usageSeen ? usage : null;
        var attempts = Math.Max(1, calls);
        if (cancelled)
        {
            return new(StepStatus.Cancelled, attempts, null, "the run was cancelled during this loop", totalUsage, ledger);
        }
        var output = new JsonArray(results);
        var failedItems = errors.Select((error, i) => (error, i)).Where(e => e.error is not null).ToList();
        if (failedItems.Count == 0)
        {
            return new(StepStatus.Succeeded, attempts, output, null, totalUsage, ledger);
        }
        var shown = string.Join("; ", failedItems.Take(ItemErrorsShown).Select(e => $"item {e.i}: {e.error}"));
        var more = failedItems.Count > ItemErrorsShown ? $"; and {failedItems.Count - ItemErrorsShown} more" : "";
        return new(StepStatus.Failed, attempts, output, $"{failedItems.Count} of {items.Count} items failed: {shown}{more}", totalUsage, ledger);
    }

    private bool TryReadItems(
        WorkflowStep step, IReadOnlyDictionary<string, JsonNode?> scope, [NotNullWhen(true)] out JsonArray? items, [NotNullWhen(false)] out string? problem)
    {
        items = null;
        problem = null;
        JsonNode? source = step.ForEach;
        if (JsonValues.IsString(source, out var text))
        {
            try
            {
                // the list is a value the run already holds: it may be as large as a run's outputs, and the item limit decides
                source = Template.Parse(text).RenderValue(scope, new RenderBudget(Limits.MaxRunOutputBytes));
            }
            catch (TemplateException e)
            {
                problem = $"for_each: {e.Message}";
                return false;
            }
        }
        if (source is not JsonArray list)
        {
            problem = $"for_each: expected a list of items, got {JsonValues.Describe(source)}";
            return false;
        }
        if (list.Count > Limits.MaxLoopItems)
        {
            problem = $"for_each: the list has {list.Count} items, over the limit of {Limits.MaxLoopItems} per loop (Runs__MaxLoopItems); filter the list in an earlier step or split the work";
            return false;
        }
        items = list;
        return true;
    }

    private async Task<(ItemRecord Item, TokenUsage? Usage, StepLedger? Ledger)> RunItemAsync(
        RunRequest request, WorkflowStep step, int index, IStepType stepType, IReadOnlyDictionary<string, JsonNode?> scope,
        HashSet<string> failedStepIds, JsonNode? item, int itemIndex, IRunJournal journal, CancellationToken cancellationToken)
    {
        var startedAt = Time.GetUtcNow();
        var startTimestamp = Time.GetTimestamp();
        var itemScope = new ItemScope(scope, item, itemIndex);
        ItemRecord Finish(StepStatus status, int attempts, JsonNode? output, string? error) => new()
        {
            StepId = step.StepId,
            StepIndex = index,
            ItemIndex = itemIndex,
            Status = status,
            Output = output,
            Error = error,
            Attempts = attempts,
            DurationMs = (long)Time.GetElapsedTime(startTimestamp).TotalMilliseconds,
            StartedAt = startedAt,
            FinishedAt = Time.GetUtcNow(),
        };

        if (step.ConditionPerItem && ShouldSkip(step, itemScope, out var conditionError))
        {
            return (conditionError is null ? Finish(StepStatus.Skipped, 0, null, null) : Finish(StepStatus.Failed, 0, null, conditionError), null, null);
        }
        JsonObject parameters;
        try
        {
            parameters = RenderParameters(step, itemScope, failedStepIds, Limits.MaxRenderedParameterBytes);
        }
        catch (TemplateException e)
        {
            return (Finish(StepStatus.Failed, 1, null, e.Message), null, null);
        }
        var call = await CallAsync(request, step, index, itemIndex, stepType, parameters, itemScope, journal, reportRetries: false, cancellationToken);
        return (Finish(call.Status, call.Calls, call.Output, call.Error), call.Usage, call.Ledger);
    }

    /// <summary>The run's values plus <c>item</c> and <c>item_index</c>, without copying the run's values.</summary>
    private sealed class ItemScope(IReadOnlyDictionary<string, JsonNode?> scope, JsonNode? item, int itemIndex) : IReadOnlyDictionary<string, JsonNode?>
    {
        private readonly JsonNode _itemIndex = JsonValue.Create(itemIndex);

        public JsonNode? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

        public IEnumerable<string> Keys => scope.Keys.Append("item").Append("item_index");

        public IEnumerable<JsonNode?> Values => Keys.Select(key => this[key]);

        public int Count => scope.Count + 2;

        public bool ContainsKey(string key) => key is "item" or "item_index" || scope.ContainsKey(key);

        public bool TryGetValue(string key, out JsonNode? value)
        {
            switch (key)
            {
                case "item":
                    value = item;
                    return true;
                case "item_index":
                    value = _itemIndex;
                    return true;
                default:
                    return scope.TryGetValue(key, out value);
            }
        }

        public IEnumerator<KeyValuePair<string, JsonNode?>> GetEnumerator() =>
            Keys.Select(key => KeyValuePair.Create(key, this[key])).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>What the run has done so far: the records, outputs and errors, and the values later steps read.</summary>
    private sealed class RunState(Dictionary<string, JsonNode?> scope)
    {
        public Dictionary<string, JsonNode?> Scope => scope;
        public List<StepRecord> Steps { get; } = [];
        public Dictionary<string, JsonNode?> Outputs { get; } = new(StringComparer.Ordinal);
        public List<string> Errors { get; } = [];
        public HashSet<string> FailedStepIds { get; } = new(StringComparer.Ordinal);
        public bool Aborted { get; private set; }
        public bool Cancelled { get; private set; }

        /// <summary>The first step that waits (an approval, a wait): nothing new starts, and the run pauses once the steps in flight finish.</summary>
        public StepRecord? Waiting { get; private set; }

        private long _outputBytes;

        /// <summary>Bytes of output the run keeps so far (parallel steps count at once).</summary>
        public long OutputBytes => Interlocked.Read(ref _outputBytes);

        public void CountOutput(long bytes) => Interlocked.Add(ref _outputBytes, bytes);

        public void Cancel(string stepId)
        {
            Cancelled = true;
            Errors.Add($"the run was cancelled before step '{stepId}'");
        }

        public void Add(WorkflowStep step, StepRecord record)
        {
            Steps.Add(record);
            switch (record.Status)
            {
                case StepStatus.Succeeded:
                    Bind(step.StepId, record.Output);
                    Outputs[step.StepId] = record.Output;
                    break;
                case StepStatus.Skipped:
                    // a skipped step's output is null: a reference to it renders empty
                    Bind(step.StepId, null);
                    break;
                case StepStatus.Waiting:
                    Waiting ??= record;
                    break;
                case StepStatus.Cancelled:
                    Cancelled = true;
                    Errors.Add(WorkflowResultJson.StepError(step.StepId, record.Status, record.Error));
                    break;
                default:
                    Errors.Add(WorkflowResultJson.StepError(step.StepId, record.Status, record.Error));
                    FailedStepIds.Add(step.StepId);
                    if (record.Output is not null)
                    {
                        // a loop with failed items still has the other items' outputs
                        Bind(step.StepId, record.Output);
                    }
                    Aborted |= step.OnError == OnError.Abort;
                    break;
            }
        }

        private void Bind(string stepId, JsonNode? output)
        {
            scope[$"{stepId}_output"] = output;
            scope[stepId] = output;
        }
    }
}
