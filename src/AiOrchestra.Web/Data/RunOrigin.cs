namespace AiOrchestra.Web.Data;

/// <summary>
/// What started a run, as stored on it and shown in Logs and the API: <c>manual</c> (the dashboard), <c>api</c>,
/// <c>rerun</c>, <c>resume</c>, <c>test</c>, <c>mcp</c>, <c>import</c>, or a trigger as <c>webhook:&lt;trigger_id&gt;</c>, <c>schedule:&lt;trigger_id&gt;</c>, <c>poll:&lt;trigger_id&gt;</c>.
/// </summary>
public static class RunOrigin
{
    public const string Manual = "manual";
    public const string Api = "api";
    public const string Rerun = "rerun";

    /// <summary>A failed or cancelled run resumed from its failed step (<c>POST /api/runs/{id}/resume</c>, the run page).</summary>
    public const string Resume = "resume";

    /// <summary>A test run: the workflow's pinned step outputs are used instead of calling those steps.</summary>
    public const string Test = "test";

    /// <summary>The origins that name a trigger after a colon (<c>webhook:push</c>).</summary>
    public static readonly IReadOnlyList<string> TriggerKinds = ["webhook", "schedule", "poll"];
    /// <summary>An agent called the workflow as a tool of the MCP server at <c>/mcp</c>.</summary>
    public const string Mcp = "mcp";
    /// <summary>A run log of the original AI-Orchestra brought in by the <c>import</c> command; it never ran here.</summary>
    public const string Import = "import";

    /// <summary>A child run: a <c>workflow</c> step of the run named after the colon started it.</summary>
    public static string Parent(string runId) => "workflow:" + runId;

    public static string Webhook(string triggerId) => "webhook:" + triggerId;
    public static string Schedule(string triggerId) => "schedule:" + triggerId;
    public static string Poll(string triggerId) => "poll:" + triggerId;

    /// <summary>
    /// A person asked for the run (the dashboard, the API or an MCP client with their login or token); the audit log
    /// records these. Triggers, failure handlers, child runs and imports are not.
    /// </summary>
    public static bool ByHand(string origin) => origin is Manual or Api or Rerun or Resume or Test or Mcp;
}
