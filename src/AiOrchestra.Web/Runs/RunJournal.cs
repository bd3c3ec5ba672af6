using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Writes one run's progress through the run writer and publishes it live. Every output, error and streamed text
/// passes through the secrets' redaction first, so a configured secret's value echoed by a service is neither stored
/// nor sent (and so neither shown, exported nor reused by a resumed run).
/// </summary>
internal sealed class RunJournal(
    string runId, RunWriter writer, RunFeed feed, TimeProvider time, IntegrationSecrets secrets, Ledger.LlmPrices prices,
    Action<StepRecord>? stepFinished = null) : IRunJournal
{
    // per streaming step, the end of its text that may be the start of a secret cut in two by the next delta
    private readonly Dictionary<string, string> _heldBack = new(StringComparer.Ordinal);

    // per running step, the id its start was sent with: the writer may fold a fast step's start into its finish
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, Started> _startedEvents = new();

    private readonly record struct Started(long Event, int Attempt, DateTimeOffset At);

    private UnstoredStep? _unstored;

    /// <summary>The first step whose progress could not be stored (the run's error names it); null while every write landed.</summary>
    public UnstoredStep? Unstored => Volatile.Read(ref _unstored);

    // per step index, the row its last finish stored: a request waiting for the run answers from these (see StoredSteps)
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, FinishedStep> _finished = new();
    private readonly long _maxOutputBytes = writer.MaxOutputBytes;

    /// <summary>What the writer stored of one finished step, turned into its row only when a waiting request asks.</summary>
    private sealed record FinishedStep(StepRecord Step, string? Output, string? Ledger, long? StartedEvent, long FinishedEvent);

    public ValueTask StepStartedAsync(string stepId, int index, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        // numbered before the write, so the stored row has the id subscribers get
        var number = feed.Reserve();
        _startedEvents[index] = new Started(number, attempt, startedAt);
        writer.StepStarted(runId, index, stepId, attempt, startedAt, number);
        feed.Publish(number, new RunEvent
        {
            RunId = runId, Sequence = number, Type = RunEvent.StepStarted, Timestamp = startedAt,
            Status = WorkflowResultJson.StatusName(StepStatus.Running), StepId = stepId, Index = index, Attempt = attempt,
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask StepFinishedAsync(StepRecord step, CancellationToken cancellationToken)
    {
        var redaction = secrets.Redaction;
        var (output, json) = Redact(step.Output, redaction);
        step = step with { Output = output, Error = Redact(step.Error, redaction) };
        lock (_heldBack)
        {
            _heldBack.Remove(step.StepId); // the finished output replaces the streamed text
        }
        string? ledger = null;
        Ledger.LedgerTotals? totals = null;
        if (step.Ledger is { } stepLedger)
        {
            // the messages sent hold rendered prompts: a secret a template or an earlier output put there is redacted too
            (var priced, totals) = prices.Priced(stepLedger);
            // stored without what reading puts back (StoredLedger)
            ledger = redaction.Redact(Data.StoredLedger.Compact(priced).ToJsonString());
        }
        // durable before the next step starts, even when the run is being cancelled
        var number = feed.Reserve();
        long? startedEvent = _startedEvents.TryRemove(step.Index, out var started) ? started.Event : null;
        await StoredAsync(number, writer.StepFinishedAsync(runId, step, json, startedEvent, number, ledger, totals), step.StepId, step.Index, step, startedEvent);
        _finished[step.Index] = new FinishedStep(step, json, ledger, startedEvent, number);
        feed.Publish(number, StepFinishedEvent(runId, number, step));
        stepFinished?.Invoke(step);
    }

    /// <summary>
    /// The run's step rows as the store holds them after this journal's writes, read as the run store reads them (the
    /// output as capped for storage, times to the millisecond); null when a step started and did not finish, whose row
    /// only the store has. Meaningful for a run that started here from its first step (not resumed, no pinned steps).
    /// </summary>
    public IReadOnlyList<RunStep>? StoredSteps()
    {
        if (!_startedEvents.IsEmpty)
        {
            return null;
        }
        var steps = new List<RunStep>(_finished.Count);
        foreach (var (_, finished) in _finished.OrderBy(f => f.Key))
        {
            var step = finished.Step;
            // capped here, when a waiting request asks, as the writer capped what it stored
            var (stored, fullBytes) = History.StoredOutput.Cap(finished.Output, _maxOutputBytes);
            steps.Add(new RunStep
            {
                Index = step.Index, StepId = step.StepId, Status = step.Status,
                Output = Data.StoredOutput.Read(stored), OutputBytes = fullBytes, Error = step.Error,
                Attempts = step.Attempts, DurationMs = step.DurationMs,
                PromptTokens = step.Usage?.PromptTokens, CompletionTokens = step.Usage?.CompletionTokens, Ledger = finished.Ledger,
                StartedAt = AsStored(step.StartedAt), FinishedAt = AsStored(step.FinishedAt),
                StartedEvent = finished.StartedEvent, FinishedEvent = finished.FinishedEvent,
            });
        }
        return steps;
    }

    /// <summary>A time as the store keeps it: Unix milliseconds.</summary>
    internal static DateTimeOffset AsStored(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    public async ValueTask ItemFinishedAsync(ItemRecord item, CancellationToken cancellationToken)
    {
        var redaction = secrets.Redaction;
        var (output, json) = Redact(item.Output, redaction);
        // durable before the loop takes another item: a resumed run does not call it again
        try
        {
            await writer.ItemFinishedAsync(runId, item with { Output = output, Error = Redact(item.Error, redaction) }, json);
        }
        catch (Exception e) when (StoreFailures.IsStorageFailure(e))
        {
            NotStored(item.StepId, item.StepIndex, null, null);
            throw;
        }
    }

    public async ValueTask EntryRecordedAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        // a model's turn or a tool's result may echo a secret: redacted before it is stored, sent live or resumed from
        var redaction = secrets.Redaction;
        var json = entry.Entry.ToJsonString();
        if (redaction.Contains(json))
        {
            json = redaction.Redact(json);
            entry = entry with { Entry = JsonNode.Parse(json)!.AsObject() };
        }
        // durable before the step goes on: a resumed step does not make this model turn or tool call again
        var number = feed.Reserve();
        await StoredAsync(number, writer.EntryRecordedAsync(runId, entry, json, number), entry.StepId, entry.StepIndex, null, null);
        feed.Publish(number, RunEvents.EntryEvent(runId, number, entry.StepId, entry.StepIndex, entry.ItemIndex, entry.Entry, entry.RecordedAt));
    }

    /// <summary>Waits for a numbered event's write; when it fails, its number is given up so the events after it still go out.</summary>
    private async Task StoredAsync(long number, Task write, string stepId, int index, StepRecord? finished, long? startedEvent)
    {
        try
        {
            await write;
        }
        catch (Exception e)
        {
            feed.Skip(number);
            if (StoreFailures.IsStorageFailure(e))
            {
                NotStored(stepId, index, finished, startedEvent);
            }
            throw;
        }
    }

    private void NotStored(string stepId, int index, StepRecord? finished, long? startedEvent)
    {
        if (finished is null && _startedEvents.TryGetValue(index, out var started))
        {
            // a running step's note or loop item: the step ends here, as it stood
            var now = time.GetUtcNow();
            finished = new StepRecord
            {
                StepId = stepId, Index = index, Status = StepStatus.Failed, Attempts = started.Attempt, StartedAt = started.At, FinishedAt = now,
                DurationMs = (long)(now - started.At).TotalMilliseconds,
            };
            startedEvent = started.Event;
        }
        Interlocked.CompareExchange(ref _unstored, new UnstoredStep(stepId, index, finished, startedEvent), null);
    }

    public void StepDelta(string stepId, string text)
    {
        var redaction = secrets.Redaction;
        if (!redaction.IsEmpty)
        {
            lock (_heldBack)
            {
                var whole = redaction.Redact(_heldBack.GetValueOrDefault(stepId, "") + text);
                var held = redaction.UnfinishedEnd(whole);
                _heldBack[stepId] = whole[^held..];
                text = whole[..^held];
            }
            if (text.Length == 0)
            {
                return;
            }
        }
        feed.Publish(new RunEvent
        {
            RunId = runId, Sequence = 0, Type = RunEvent.StepDelta, Timestamp = time.GetUtcNow(),
            StepId = stepId, Delta = text,
        });
    }

    /// <summary>A text (an error) with every secret's value redacted.</summary>
    internal static string? Redact(string? text, SecretRedaction redaction) => text is null ? null : redaction.Redact(text);

    /// <summary>
    /// An output and its JSON text, redacted. The replacement holds no character JSON escapes, so the text is redacted
    /// as it is stored and parsed again only when a secret was found in it.
    /// </summary>
    /// <summary>The output with secrets redacted, and its stored form (see <see cref="StoredOutput"/>): one serialization when nothing is redacted.</summary>
    private static (JsonNode? Output, string? Json) Redact(JsonNode? output, SecretRedaction redaction)
    {
        var json = StoredOutput.Write(output);
        if (json is null || !redaction.Contains(json))
        {
            return (output, json);
        }
        // redacted in its full form (the stored one may lack an http body), then stored from that
        var redacted = JsonNode.Parse(redaction.Redact(output!.ToJsonString(StoredOutput.Options)));
        return (redacted, StoredOutput.Write(redacted));
    }

    public void LoopProgress(string stepId, int index, int done, int total) =>
        feed.Publish(new RunEvent
        {
            RunId = runId, Sequence = 0, Type = RunEvent.LoopProgress, Timestamp = time.GetUtcNow(),
            StepId = stepId, Index = index, ItemsDone = done, ItemsTotal = total,
        });

    internal static RunEvent StepFinishedEvent(string runId, long number, StepRecord step) =>
        RunEvent.ForStep(RunEvent.StepFinished, StepState.From(runId, step), step.FinishedAt, number);
}

/// <summary>
/// A step whose progress could not be stored; <paramref name="Finished"/> is its record when its finish was that write,
/// <paramref name="StartedEvent"/> the id its start was sent with.
/// </summary>
internal sealed record UnstoredStep(string StepId, int Index, StepRecord? Finished, long? StartedEvent);
