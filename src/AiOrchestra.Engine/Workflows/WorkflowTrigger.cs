using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Workflows;

/// <summary>
/// What starts a workflow by itself: a webhook call, a schedule, or a poll of a source that cannot call us.
/// Settings of the other kinds stay at their defaults; secrets (a webhook's token and signing secret) are never
/// part of the document, they live in the store beside it.
/// </summary>
public sealed record WorkflowTrigger
{
    /// <summary>The variable a triggered run's steps read the request, item or items from: <c>{{trigger.body.ref}}</c>.</summary>
    public const string Variable = "trigger";

    public required string TriggerId { get; init; }
    public required TriggerType Type { get; init; }
    public bool Enabled { get; init; } = true;

    /// <summary>Inputs of every run this trigger starts (declared variables only), beside <c>trigger</c>.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Variables { get; init; } = new Dictionary<string, JsonNode?>();

    // webhook
    public WebhookResponse Respond { get; init; } = WebhookResponse.Accepted;

    /// <summary>The step whose output answers an <c>output</c> webhook; null means the last step.</summary>
    public string? ResponseStep { get; init; }

    /// <summary>When true, a call must carry an HMAC-SHA256 signature made with the trigger's stored secret.</summary>
    public bool Signed { get; init; }

    /// <summary>Calls accepted per minute; null means the instance's default.</summary>
    public int? MaxPerMinute { get; init; }

    // schedule
    /// <summary>A cron expression of 5 fields (minute first) or 6 (seconds first).</summary>
    public string? Cron { get; init; }

    /// <summary>The IANA time zone the cron expression is read in; null means UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary>A schedule's fixed interval, or how often a poll asks its source.</summary>
    public int? EverySeconds { get; init; }

    public MissedPolicy Missed { get; init; } = MissedPolicy.Skip;

    // poll
    public string? StepType { get; init; }
    public string? Action { get; init; }
    public JsonObject Parameters { get; init; } = [];

    /// <summary>The field of each item that identifies it (<c>id</c> by default).</summary>
    public string ItemId { get; init; } = "id";

    public PollMode Mode { get; init; } = PollMode.PerItem;

    /// <summary>Most new items taken from one poll; the rest wait for the next one.</summary>
    public int MaxItems { get; init; } = DefaultMaxItems;

    public const int DefaultMaxItems = 100;

    // The optional fields the file spelled out, so writing it back gives the same text.
    internal IReadOnlySet<string> Written { get; init; } = new HashSet<string>();
}

public enum TriggerType
{
    Webhook,
    Schedule,
    Poll,
}

/// <summary>How a webhook answers: at once with the run id, or with the run's output.</summary>
public enum WebhookResponse
{
    Accepted,
    Output,
}

/// <summary>What a schedule does with due times that passed while the app was stopped.</summary>
public enum MissedPolicy
{
    Skip,
    RunOnce,
}

/// <summary>Whether a poll starts one run per new item or one run for all new items of a poll.</summary>
public enum PollMode
{
    PerItem,
    Batch,
}

public static class TriggerNames
{
    public static string Text(TriggerType type) => type switch
    {
        TriggerType.Webhook => "webhook",
        TriggerType.Schedule => "schedule",
        _ => "poll",
    };

    public static string Text(WebhookResponse respond) => respond == WebhookResponse.Output ? "output" : "accepted";

    public static string Text(MissedPolicy missed) => missed == MissedPolicy.RunOnce ? "run_once" : "skip";

    public static string Text(PollMode mode) => mode == PollMode.Batch ? "batch" : "per_item";
}
