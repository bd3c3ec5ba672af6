using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// One recorded note of an agent step as the run page shows it: a model turn (its text and the tools it asked for) or
/// a tool call (its arguments, then its result or error). The same partial draws it on the page and in the live stream.
/// </summary>
public sealed record ConversationEntry(string StepId, int Item, JsonObject Entry)
{
    // relaxed: quotes and < stay readable in arguments, which Razor HTML-encodes before they reach the page
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Kind => (string?)Entry["kind"] ?? "";

    public int? Turn => (int?)Entry["turn"];

    public string Text => (string?)Entry["text"] ?? "";

    public string Name => (string?)Entry["name"] ?? "";

    public string Status => (string?)Entry["status"] ?? "";

    public string? Error => (string?)Entry["error"];

    public JsonNode? Result => Entry["result"];

    public long? DurationMs => (long?)Entry["duration_ms"];

    public int Tokens => ((int?)Entry["prompt_tokens"] ?? 0) + ((int?)Entry["completion_tokens"] ?? 0);

    /// <summary>The child run a workflow tool's call ran as.</summary>
    public string? ChildRunId => (string?)Entry["child_run_id"];

    public string Arguments => Json(Entry["arguments"]);

    /// <summary>The tool calls a model turn asked for: name and arguments as indented JSON.</summary>
    public IEnumerable<(string Name, string Arguments)> ToolCalls =>
        (Entry["tool_calls"] as JsonArray ?? []).Select(c => ((string?)c?["name"] ?? "", Json(c?["arguments"])));

    private static string Json(JsonNode? value) => value?.ToJsonString(Indented) ?? "{}";
}

/// <summary>An agent step's conversation on the run page: its notes so far, in order.</summary>
public sealed record Conversation(string StepId, IReadOnlyList<ConversationEntry> Entries);
