using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using Microsoft.Extensions.AI;

namespace AiOrchestra.Engine.Steps.Agent;

/// <summary>
/// An agent's conversation as its journal recorded it: each model turn (<c>kind: turn</c>, with the tool calls it asked
/// for) and each tool call's result (<c>kind: tool</c>). Rebuilt from the entries alone, so a resumed loop knows which
/// calls of the last turn are still to be made, and never asks the model again for a turn it already has.
/// </summary>
internal sealed class AgentConversation
{
    public const string Turn = "turn";
    public const string Tool = "tool";

    /// <summary>Tool calls the model asked for so far, over all turns.</summary>
    private int _calls;

    private AgentConversation()
    {
    }

    /// <summary>The messages after the instructions and the input, in the order the model saw them.</summary>
    public List<ChatMessage> Messages { get; } = [];

    public int Turns { get; private set; }

    public int ToolCalls { get; private set; }

    public int UnknownToolCalls { get; private set; }

    public int PromptTokens { get; private set; }

    public int CompletionTokens { get; private set; }

    /// <summary>When the first turn was asked for; the loop's wall time counts from it, across restarts.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>The last turn's tool calls without a recorded result, in the order the model asked for them.</summary>
    public List<PendingCall> Pending { get; } = [];

    /// <summary>The model's final answer: its last turn asked for no tool.</summary>
    public string? Answer { get; private set; }

    /// <summary>The names of the tools asked for that the agent was not given.</summary>
    public List<string> UnknownNames { get; } = [];

    public static AgentConversation From(IReadOnlyList<JsonObject> entries)
    {
        var conversation = new AgentConversation();
        foreach (var entry in entries)
        {
            conversation.Apply(entry);
        }
        return conversation;
    }

    public void Apply(JsonObject entry)
    {
        switch ((string?)entry["kind"])
        {
            case Turn:
                ApplyTurn(entry);
                break;
            case Tool:
                ApplyTool(entry);
                break;
        }
    }

    private void ApplyTurn(JsonObject entry)
    {
        Turns++;
        StartedAt ??= entry["started_at"] is JsonValue at && at.TryGetValue<DateTimeOffset>(out var started) ? started : null;
        PromptTokens += (int?)entry["prompt_tokens"] ?? 0;
        CompletionTokens += (int?)entry["completion_tokens"] ?? 0;
        var contents = new List<AIContent>();
        var text = (string?)entry["text"] ?? "";
        if (text.Length > 0)
        {
            contents.Add(new TextContent(text));
        }
        Pending.Clear();
        foreach (var call in entry["tool_calls"]?.AsArray() ?? [])
        {
            var pending = new PendingCall((string)call!["id"]!, (string)call["name"]!, call["arguments"] as JsonObject ?? [], (string?)call["problem"], ++_calls);
            Pending.Add(pending);
            contents.Add(new FunctionCallContent(pending.CallId, pending.Name, Arguments(pending.Arguments)));
        }
        Messages.Add(new ChatMessage(ChatRole.Assistant, contents));
        Answer = Pending.Count == 0 ? text : null;
    }

    private void ApplyTool(JsonObject entry)
    {
        var callId = (string)entry["call_id"]!;
        Pending.RemoveAll(p => p.CallId == callId);
        ToolCalls++;
        if ((string?)entry["status"] == "unknown")
        {
            UnknownToolCalls++;
            UnknownNames.Add((string?)entry["name"] ?? "");
        }
        var result = new FunctionResultContent(callId, ResultText(entry));
        // the results of one turn go back together, as one message
        if (Messages.Count > 0 && Messages[^1].Role == ChatRole.Tool)
        {
            Messages[^1].Contents.Add(result);
        }
        else
        {
            Messages.Add(new ChatMessage(ChatRole.Tool, [result]));
        }
    }

    /// <summary>What the model reads back: a text result as itself, other JSON as JSON, a failure as its error.</summary>
    private static string ResultText(JsonObject entry)
    {
        if ((string?)entry["status"] != "succeeded")
        {
            return "Error: " + ((string?)entry["error"] ?? "the tool failed");
        }
        return entry["result"] switch
        {
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            null => "null",
            var other => other.ToJsonString(),
        };
    }

    private static Dictionary<string, object?> Arguments(JsonObject arguments) =>
        arguments.ToDictionary(a => a.Key, a => (object?)JsonSerializer.SerializeToElement(a.Value));

    /// <summary>A tool call the model asked for whose result is not recorded yet.</summary>
    /// <param name="Problem">Why the call cannot be made as asked (its arguments were not JSON); null when it can.</param>
    /// <param name="Ordinal">The call's place among all the calls the model asked for (1, 2, ...): the same after a resume.</param>
    internal sealed record PendingCall(string CallId, string Name, JsonObject Arguments, string? Problem, int Ordinal);
}
