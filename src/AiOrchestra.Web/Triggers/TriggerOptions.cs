using System.ComponentModel.DataAnnotations;

namespace AiOrchestra.Web.Triggers;

/// <summary>The <c>Triggers</c> configuration section.</summary>
public sealed class TriggerOptions
{
    public const string Section = "Triggers";

    /// <summary>Largest webhook body accepted; larger ones get 413.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int WebhookMaxBodyBytes { get; set; } = 256 * 1024;

    /// <summary>Calls a minute one webhook trigger accepts when it sets no <c>max_per_minute</c>.</summary>
    [Range(1, 10_000_000)]
    public int WebhookMaxPerMinute { get; set; } = 600;

    /// <summary>How long an <c>output</c> webhook waits for its run before answering 202.</summary>
    [Range(0, 3600)]
    public int WebhookWaitSeconds { get; set; } = 30;

    /// <summary>A due time later than this when the scheduler sees it was missed (the app was stopped), not late.</summary>
    [Range(1, 86_400)]
    public int MissedAfterSeconds { get; set; } = 60;
}
