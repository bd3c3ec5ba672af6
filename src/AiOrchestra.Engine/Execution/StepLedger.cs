using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Execution;

/// <summary>
/// What a step recorded for audit: the stored prompts it rendered (id and version) and every call it made to a
/// language model (the LLM ledger). Made only by the steps that render a prompt or call a model, so other steps carry
/// nothing. Filled by one call at a time; a loop merges its items' ledgers under its own lock.
/// </summary>
public sealed class StepLedger
{
    public List<PromptUse> Prompts { get; } = [];

    public List<LlmCall> Calls { get; } = [];

    /// <summary>Records that the stored prompt <paramref name="templateId"/> was rendered, once per id and version.</summary>
    public void PromptRendered(string templateId, int? version)
    {
        var use = new PromptUse(templateId, version);
        if (!Prompts.Contains(use))
        {
            Prompts.Add(use);
        }
    }

    /// <summary>Adds what <paramref name="other"/> (a retried attempt, a loop's item) recorded.</summary>
    public void Add(StepLedger other)
    {
        foreach (var prompt in other.Prompts)
        {
            PromptRendered(prompt.TemplateId, prompt.Version);
        }
        Calls.AddRange(other.Calls);
    }

    /// <summary>
    /// The ledger as stored with the step: <c>{prompts: [{template_id, version}], calls: [...]}</c>. The host adds the
    /// costs from its price table.
    /// </summary>
    public JsonObject ToJson()
    {
        var prompts = new JsonArray();
        foreach (var prompt in Prompts)
        {
            prompts.Add(new JsonObject { ["template_id"] = prompt.TemplateId, ["version"] = prompt.Version });
        }
        var calls = new JsonArray();
        foreach (var call in Calls)
        {
            calls.Add(call.ToJson());
        }
        return new JsonObject { ["prompts"] = prompts, ["calls"] = calls };
    }
}

/// <summary>A stored prompt a step rendered: its id and the version it had then (null where the host keeps no versions).</summary>
public sealed record PromptUse(string TemplateId, int? Version);

/// <summary>One message of an LLM call as it was sent: its role and its text (tool calls and results named briefly).</summary>
public sealed record LlmMessage(string Role, string Text);

/// <summary>One call to a language model: what was sent, with which settings, and what came back.</summary>
public sealed record LlmCall
{
    public required string Provider { get; init; }

    /// <summary>The model the step asked for.</summary>
    public required string ModelRequested { get; init; }

    /// <summary>The model the provider says answered (often a dated version of the one asked for); null when it did not say.</summary>
    public string? ModelAnswered { get; init; }

    public double? Temperature { get; init; }

    public int? MaxTokens { get; init; }

    /// <summary>
    /// The messages sent from <see cref="FirstMessage"/> on: an agent's later turns resend the conversation so far, so
    /// each call keeps only the messages the calls before it in the same step had not sent.
    /// </summary>
    public required IReadOnlyList<LlmMessage> Messages { get; init; }

    public int FirstMessage { get; init; }

    public string? FinishReason { get; init; }

    public int? InputTokens { get; init; }

    public int? OutputTokens { get; init; }

    /// <summary>True when the answer came as an event stream (false when the server ignored <c>stream</c> and answered once).</summary>
    public bool Streamed { get; init; }

    public JsonObject ToJson()
    {
        var messages = new JsonArray();
        foreach (var message in Messages)
        {
            messages.Add(new JsonObject { ["role"] = message.Role, ["content"] = message.Text });
        }
        return new JsonObject
        {
            ["provider"] = Provider,
            ["model_requested"] = ModelRequested,
            ["model_answered"] = ModelAnswered,
            ["temperature"] = Temperature,
            ["max_tokens"] = MaxTokens,
            ["first_message"] = FirstMessage,
            ["messages"] = messages,
            ["finish_reason"] = FinishReason,
            ["input_tokens"] = InputTokens,
            ["output_tokens"] = OutputTokens,
            ["streamed"] = Streamed,
        };
    }
}
