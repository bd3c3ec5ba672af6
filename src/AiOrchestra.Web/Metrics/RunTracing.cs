using System.Diagnostics;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Metrics;

/// <summary>
/// The runs' traces (activity source <c>AiOrchestra</c>). Each run is a trace of its own: a short "queued" span when it
/// is stored, linked to the request or trigger that started it, whose context is kept on the run (<c>trace_parent</c>);
/// the worker's run span continues that trace, and each finished step adds a span with its type, action, attempts,
/// tokens and outcome. With no listener (tracing off) nothing is created and no context is stored.
/// </summary>
public static class RunTracing
{
    public const string SourceName = "AiOrchestra";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>The trace's first span, stopped by the caller once the run is stored; null when nobody listens.</summary>
    public static Activity? StartQueued(string workflowId, string origin)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var starter = Activity.Current;
        // a new root: the request or trigger is linked, not the parent, so each run is one trace
        Activity.Current = null;
        try
        {
            var links = starter is null ? null : new[] { new ActivityLink(starter.Context) };
            var activity = Source.StartActivity(ActivityKind.Producer, default, links: links, name: "queue " + workflowId);
            activity?.SetTag("aiorchestra.workflow.id", workflowId);
            activity?.SetTag("aiorchestra.run.origin", origin);
            return activity;
        }
        finally
        {
            Activity.Current = starter;
        }
    }

    /// <summary>A trigger's fire (schedule or poll): the span the queued runs link to.</summary>
    public static Activity? StartTrigger(string type, string workflowId, string triggerId)
    {
        var activity = Source.StartActivity($"trigger {type}:{triggerId}");
        activity?.SetTag("aiorchestra.workflow.id", workflowId);
        activity?.SetTag("aiorchestra.trigger.id", triggerId);
        activity?.SetTag("aiorchestra.trigger.type", type);
        return activity;
    }

    /// <summary>The run's span, in the trace stored when it was queued (a new trace when none was).</summary>
    public static Activity? StartRun(string runId, string? traceParent)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent);
        var activity = Source.StartActivity("run", ActivityKind.Consumer, parent);
        activity?.SetTag("aiorchestra.run.id", runId);
        return activity;
    }

    public static void RunLoaded(Activity? run, string workflowId)
    {
        if (run is null)
        {
            return;
        }
        run.DisplayName = "run " + workflowId;
        run.SetTag("aiorchestra.workflow.id", workflowId);
    }

    public static void RunFinished(Activity? run, string status, string? error)
    {
        if (run is null)
        {
            return;
        }
        run.SetTag("aiorchestra.run.status", status);
        if (status == "failed")
        {
            run.SetStatus(ActivityStatusCode.Error, error);
        }
    }

    /// <summary>A finished step as a child span of <paramref name="run"/>, with the step's own start and end times.</summary>
    public static void StepFinished(Activity? run, Workflow workflow, StepRecord step)
    {
        if (run is null)
        {
            return;
        }
        var definition = step.Index >= 0 && step.Index < workflow.Steps.Count ? workflow.Steps[step.Index] : null;
        var current = Activity.Current;
        var span = Source.StartActivity("step " + step.StepId, ActivityKind.Internal, run.Context, startTime: step.StartedAt);
        Activity.Current = current;
        if (span is null)
        {
            return;
        }
        span.SetTag("aiorchestra.step.id", step.StepId);
        span.SetTag("aiorchestra.step.type", definition?.StepType);
        span.SetTag("aiorchestra.step.action", definition?.Action);
        span.SetTag("aiorchestra.step.attempts", step.Attempts);
        span.SetTag("aiorchestra.step.status", WorkflowResultJson.StatusName(step.Status));
        if (step.Usage is { } usage)
        {
            span.SetTag("gen_ai.usage.input_tokens", usage.PromptTokens);
            span.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
        }
        if (step.Status == StepStatus.Failed)
        {
            span.SetStatus(ActivityStatusCode.Error, step.Error);
        }
        span.SetEndTime(step.FinishedAt > step.StartedAt ? step.FinishedAt.UtcDateTime : step.StartedAt.UtcDateTime);
        span.Stop();
        Activity.Current = current;
    }

    /// <summary>The trace id in a stored W3C <c>traceparent</c> (<c>00-{trace}-{span}-{flags}</c>), or null.</summary>
    public static string? TraceId(string? traceParent) =>
        ActivityContext.TryParse(traceParent, null, out var context) ? context.TraceId.ToHexString() : null;
}
