using System.ComponentModel.DataAnnotations;

namespace AiOrchestra.Web.Runs;

/// <summary>The <c>Runs</c> section: how many runs execute at once and how long a worker's claim on a run lasts.</summary>
public sealed class RunOptions
{
    public const string Section = "Runs";

    /// <summary>Runs executed at once (<c>Runs__Concurrency</c>).</summary>
    [Range(1, 10_000)]
    public int Concurrency { get; set; } = 64;

    /// <summary>How long a claim on a run lasts without renewal; a run whose lease ran out is taken over and resumed.</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How often the worker looks for work nobody told it about (runs of other processes whose lease ran out).</summary>
    [Range(1, 3600)]
    public int PollSeconds { get; set; } = 5;

    /// <summary>How long a finished run's live events stay in memory for subscribers that reconnect (runs nobody subscribed to are not kept).</summary>
    [Range(0, 3600)]
    public int EventRetentionSeconds { get; set; } = 10;

    /// <summary>Live event streams (API and run pages together) one user may have open at once; more get 429.</summary>
    [Range(1, 100_000)]
    public int LiveStreamsPerUser { get; set; } = 20;
}
