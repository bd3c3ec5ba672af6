using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Web.Runs;

/// <summary>Writes one run's progress through the run writer and publishes it live.</summary>
internal sealed class RunJournal(string runId, RunWriter writer, RunFeed feed, TimeProvider time, Action<StepRecord>? stepFinished = null) : IRunJournal
{
    // steps run one at a time: streamed text belongs to the step that started last
    private int _currentIndex;

    public ValueTask StepStartedAsync(string stepId, int index, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        _currentIndex = index;
        writer.StepStarted(runId, index, stepId, attempt, startedAt);
        feed.Publish(new RunEvent
        {
            RunId = runId, Sequence = RunEvent.StepStartedSequence(index), Type = RunEvent.StepStarted, Timestamp = startedAt,
            Status = WorkflowResultJson.StatusName(StepStatus.Running), StepId = stepId, Index = index, Attempt = attempt,
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask StepFinishedAsync(StepRecord step, CancellationToken cancellationToken)
    {
        // durable before the next step starts, even when the run is being cancelled
        await writer.StepFinishedAsync(runId, step);
        feed.Publish(StepFinishedEvent(runId, step));
        stepFinished?.Invoke(step);
    }

    public async ValueTask ItemFinishedAsync(ItemRecord item, CancellationToken cancellationToken) =>
        // durable before the loop takes another item: a resumed run does not call it again
        await writer.ItemFinishedAsync(runId, item);

    public async ValueTask EntryRecordedAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        // durable before the step goes on: a resumed step does not make this model turn or tool call again
        await writer.EntryRecordedAsync(runId, entry);
        feed.Publish(RunEvents.EntryEvent(runId, entry.StepId, entry.StepIndex, entry.ItemIndex, entry.Entry, entry.RecordedAt));
    }

    public void StepDelta(string stepId, string text) =>
        feed.Publish(new RunEvent
        {
            RunId = runId, Sequence = RunEvent.StepStartedSequence(_currentIndex), Type = RunEvent.StepDelta, Timestamp = time.GetUtcNow(),
            StepId = stepId, Delta = text,
        });

    public void LoopProgress(string stepId, int index, int done, int total) =>
        feed.Publish(new RunEvent
        {
            RunId = runId, Sequence = RunEvent.StepStartedSequence(index), Type = RunEvent.LoopProgress, Timestamp = time.GetUtcNow(),
            StepId = stepId, Index = index, ItemsDone = done, ItemsTotal = total,
        });

    internal static RunEvent StepFinishedEvent(string runId, StepRecord step) => new()
    {
        RunId = runId, Sequence = RunEvent.StepFinishedSequence(step.Index), Type = RunEvent.StepFinished, Timestamp = step.FinishedAt,
        Status = WorkflowResultJson.StatusName(step.Status), StepId = step.StepId, Index = step.Index, Attempt = step.Attempts,
        Output = step.Output, Error = step.Error, DurationMs = step.DurationMs, Usage = step.Usage,
    };
}
