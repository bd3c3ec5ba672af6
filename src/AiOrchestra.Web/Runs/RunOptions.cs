using System.ComponentModel.DataAnnotations;
using AiOrchestra.Engine.Execution;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// The <c>Runs</c> section: how many runs execute at once, one owner's share of them, how long a worker's claim on a
/// run lasts, and what one run may take (step time limits, rendered text and kept output).
/// </summary>
public sealed class RunOptions
{
    public const string Section = "Runs";

    /// <summary>Runs executed at once (<c>Runs__Concurrency</c>).</summary>
    [Range(1, 10_000)]
    public int Concurrency { get; set; } = 64;

    /// <summary>Most items one for_each step may loop over (<c>Runs__MaxLoopItems</c>); a longer list fails the step.</summary>
    [Range(1, 1_000_000)]
    public int MaxLoopItems { get; set; } = 1000;

    /// <summary>
    /// The longest a wait step may wait and an approval may stay unanswered (<c>Runs__MaxWaitDays</c>); a longer one is
    /// a validation error, or a failed step when the time is rendered at run time.
    /// </summary>
    [Range(1, 3650)]
    public int MaxWaitDays { get; set; } = 30;

    /// <summary>How deep sub-workflows (<c>workflow</c> steps) may nest: a run's child is 1 deep, its grandchild 2 (<c>Runs__MaxWorkflowDepth</c>).</summary>
    [Range(1, 100)]
    public int MaxWorkflowDepth { get; set; } = Engine.Workflows.SubWorkflows.DefaultMaxDepth;

    /// <summary>How long a claim on a run lasts without renewal; a run whose lease ran out is taken over and resumed.</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How often the worker looks for work nobody told it about (runs of other processes whose lease ran out).</summary>
    [Range(1, 3600)]
    public int PollSeconds { get; set; } = 5;

    /// <summary>How long a finished run's live events stay in memory for subscribers that reconnect (runs nobody subscribed to are not kept).</summary>
    [Range(0, 3600)]
    public int EventRetentionSeconds { get; set; } = 10;

    /// <summary>
    /// The fraction of <see cref="Concurrency"/> one owner's runs may hold at once (rounded up, at least one slot), so
    /// one user's slow runs never take every slot: the others' queued runs are claimed while that owner's wait.
    /// 1 turns the limit off (a single-user installation).
    /// </summary>
    [Range(0.01, 1.0)]
    public double MaxShare { get; set; } = 0.5;

    /// <summary>Time limit of each attempt of a step that sets no <c>timeout_seconds</c>.</summary>
    [Range(1, 86_400)]
    public int StepTimeoutSeconds { get; set; } = 60;

    /// <summary>The same for steps that call a language model (<c>openai</c>).</summary>
    [Range(1, 86_400)]
    public int LlmStepTimeoutSeconds { get; set; } = 300;

    /// <summary>UTF-8 bytes one step parameter may render to; rendering stops as soon as it passes.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRenderedParameterBytes { get; set; } = ExecutionLimits.Default.MaxRenderedParameterBytes;

    /// <summary>Size of one step's output as JSON; a larger one fails the step.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxStepOutputBytes { get; set; } = ExecutionLimits.Default.MaxStepOutputBytes;

    /// <summary>Size of all of one run's outputs together; the step that would pass it fails.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRunOutputBytes { get; set; } = ExecutionLimits.Default.MaxRunOutputBytes;

    /// <summary>
    /// How much of a step's output the run page and the live streams show; a larger output is cut there, with a link
    /// to the full value.
    /// </summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxDisplayedOutputBytes { get; set; } = 64 * 1024;

    /// <summary>Slots one owner's runs may hold at once.</summary>
    public int SlotsPerOwner => Math.Clamp((int)Math.Ceiling(MaxShare * Concurrency), 1, Concurrency);

    public ExecutionLimits ToLimits() => new()
    {
        StepTimeout = TimeSpan.FromSeconds(StepTimeoutSeconds),
        LlmStepTimeout = TimeSpan.FromSeconds(LlmStepTimeoutSeconds),
        MaxRenderedParameterBytes = MaxRenderedParameterBytes,
        MaxStepOutputBytes = MaxStepOutputBytes,
        MaxRunOutputBytes = MaxRunOutputBytes,
        MaxLoopItems = MaxLoopItems,
        MaxConcurrency = Concurrency,
    };

    /// <summary>Live event streams (API and run pages together) one user may have open at once; more get 429.</summary>
    [Range(1, 100_000)]
    public int LiveStreamsPerUser { get; set; } = 20;
}
