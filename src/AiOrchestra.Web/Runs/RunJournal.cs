using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Integrations;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Writes one run's progress through the run writer and publishes it live. Every output, error and streamed text
/// passes through the secrets' redaction first, so a configured secret's value echoed by a service is neither stored
/// nor sent (and so neither shown, exported nor reused by a resumed run).
/// </summary>
internal sealed class RunJournal(
    string runId, RunWriter writer, RunFeed feed, TimeProvider time, IntegrationSecrets secrets, Action<StepRecord>? stepFinished = null) : IRunJournal
{
    // per streaming step, the end of its text that may be the start of a secret cut in two by the next delta
    private readonly Dictionary<string, string> _heldBack = new(StringComparer.Ordinal);

    public ValueTask StepStartedAsync(string stepId, int index, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        // numbered before the write, so the stored row has the id subscribers get
        var number = feed.Reserve();
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
        // durable before the next step starts, even when the run is being cancelled
        var number = feed.Reserve();
        await StoredAsync(number, writer.StepFinishedAsync(runId, step, json, number));
        feed.Publish(number, StepFinishedEvent(runId, number, step));
        stepFinished?.Invoke(step);
    }

    public async ValueTask ItemFinishedAsync(ItemRecord item, CancellationToken cancellationToken)
    {
        var redaction = secrets.Redaction;
        var (output, json) = Redact(item.Output, redaction);
        // durable before the loop takes another item: a resumed run does not call it again
        await writer.ItemFinishedAsync(runId, item with { Output = output, Error = Redact(item.Error, redaction) }, json);
    }

    public async ValueTask EntryRecordedAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        // durable before the step goes on: a resumed step does not make this model turn or tool call again
        var number = feed.Reserve();
        await StoredAsync(number, writer.EntryRecordedAsync(runId, entry, number));
        feed.Publish(number, RunEvents.EntryEvent(runId, number, entry.StepId, entry.StepIndex, entry.ItemIndex, entry.Entry, entry.RecordedAt));
    }

    /// <summary>Waits for a numbered event's write; when it fails, its number is given up so the events after it still go out.</summary>
    private async Task StoredAsync(long number, Task write)
    {
        try
        {
            await write;
        }
        catch
        {
            feed.Skip(number);
            throw;
        }
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
    private static (JsonNode? Output, string? Json) Redact(JsonNode? output, SecretRedaction redaction)
    {
        var json = output?.ToJsonString();
        if (json is null || !redaction.Contains(json))
        {
            return (output, json);
        }
        json = redaction.Redact(json);
        return (JsonNode.Parse(json), json);
    }

    public void LoopProgress(string stepId, int index, int done, int total) =>
        feed.Publish(new RunEvent
        {
            RunId = runId, Sequence = 0, Type = RunEvent.LoopProgress, Timestamp = time.GetUtcNow(),
            StepId = stepId, Index = index, ItemsDone = done, ItemsTotal = total,
        });

    private static RunEvent StepFinishedEvent(string runId, long number, StepRecord step) => new()
    {
        RunId = runId, Sequence = number, Type = RunEvent.StepFinished, Timestamp = step.FinishedAt,
        Status = WorkflowResultJson.StatusName(step.Status), StepId = step.StepId, Index = step.Index, Attempt = step.Attempts,
        Output = step.Output, Error = step.Error, DurationMs = step.DurationMs, Usage = step.Usage,
    };
}
