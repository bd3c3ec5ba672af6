using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Metrics;

/// <summary>
/// The run worker's instruments (meter <c>AiOrchestra</c>): runs started and finished by workflow and status, run and
/// step durations, and the queue depth read when scraped. Recording is a counter add or a histogram record with tags
/// on the stack: nothing is allocated per run on the hot path.
/// </summary>
public sealed class RunMetrics
{
    public const string MeterName = "AiOrchestra";

    private readonly Counter<long> _started;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _runDuration;
    private readonly Histogram<double> _stepDuration;

    public RunMetrics(IMeterFactory meters, IDbContextFactory<AppDbContext> contexts, TimeProvider time)
    {
        var meter = meters.Create(MeterName);
        _started = meter.CreateCounter<long>("aiorchestra.runs.started", description: "Runs a worker started (resumed runs included)");
        _finished = meter.CreateCounter<long>("aiorchestra.runs.finished", description: "Runs finished, by status");
        _runDuration = meter.CreateHistogram<double>("aiorchestra.run.duration", "s", "Time from a run's start by a worker to its finish");
        _stepDuration = meter.CreateHistogram<double>("aiorchestra.step.duration", "s", "Time one step took, all its attempts together");
        meter.CreateObservableGauge("aiorchestra.runs.queued", () => CountQueued(contexts), description: "Runs waiting for a slot");
        meter.CreateObservableGauge("aiorchestra.runs.oldest_queued_age", () => OldestQueuedAge(contexts, time), "s",
            "How long the oldest queued run has been waiting (0 when none is)");
    }

    public void RunStarted(string workflowId) => _started.Add(1, new KeyValuePair<string, object?>("workflow", workflowId));

    public void RunFinished(string workflowId, RunStatus status, TimeSpan duration)
    {
        var tags = new TagList { { "workflow", workflowId }, { "status", status.ToText() } };
        _finished.Add(1, tags);
        _runDuration.Record(duration.TotalSeconds, tags);
    }

    public void StepFinished(Workflow workflow, StepRecord step)
    {
        var type = step.Index >= 0 && step.Index < workflow.Steps.Count ? workflow.Steps[step.Index].StepType : "other";
        _stepDuration.Record(step.DurationMs / 1000.0,
            new KeyValuePair<string, object?>("step_type", type), new KeyValuePair<string, object?>("status", WorkflowResultJson.StatusName(step.Status)));
    }

    // read at scrape time only; the partial index of queued runs answers it (the status is a constant in the SQL)
    private static long CountQueued(IDbContextFactory<AppDbContext> contexts)
    {
        using var db = contexts.CreateDbContext();
        return db.Runs.LongCount(r => r.Status == RunStatus.Queued);
    }

    // run ids sort by creation time: the first queued by id is the oldest, read from the same index
    private static double OldestQueuedAge(IDbContextFactory<AppDbContext> contexts, TimeProvider time)
    {
        using var db = contexts.CreateDbContext();
        var oldest = db.Runs.Where(r => r.Status == RunStatus.Queued).OrderBy(r => r.Id).Select(r => (DateTimeOffset?)r.CreatedAt).FirstOrDefault();
        return oldest is { } created ? Math.Max(0, (time.GetUtcNow() - created).TotalSeconds) : 0;
    }
}
