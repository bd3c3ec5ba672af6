using System.ComponentModel.DataAnnotations;

namespace AiOrchestra.Web.Runs;

/// <summary>The <c>Runs</c> section: how many runs execute at once and how long a worker's claim on a run lasts.</summary>
public sealed class RunOptions
{
    public const string Section = "Runs";

    /// <summary>Runs executed at once (<c>Runs__Concurrency</c>).</summary>
    [Range(1, 10_000)]
    public int Concurrency { get; set; } = 64;

    /// <summary>Most items one for_each step may loop over (<c>Runs__MaxLoopItems</c>); a longer list fails the step.</summary>
    [Range(1, 1_000_000)]
    public int MaxLoopItems { get; set; } = 1000;

    /// <summary>How long a claim on a run lasts without renewal; a run whose lease ran out is taken over and resumed.</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How often the worker looks for work nobody told it about (runs of other processes whose lease ran out).</summary>
    [Range(1, 3600)]
    public int PollSeconds { get; set; } = 5;

    /// <summary>How long a finished run's live events stay in memory for subscribers that reconnect (runs nobody subscribed to are not kept).</summary>
    [Range(0, 3600)]
    public int EventRetentionSeconds { get; set; } = 10;
}
