namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// The run page's addresses and element ids, named once: the page, its partials and the live stream's out-of-band
/// swaps all read them here, so a swap can never aim at an element the page no longer has.
/// </summary>
public static class RunPageNames
{
    /// <summary>The run's page.</summary>
    public static string Url(string runId) => "/Logs/" + Uri.EscapeDataString(runId);

    /// <summary>One of the page's handlers, e.g. <c>Approval</c>.</summary>
    public static string HandlerUrl(string runId, string handler) => $"{Url(runId)}?handler={handler}";

    /// <summary>The page's live stream (htmx's hx-sse extension).</summary>
    public static string LiveUrl(string runId) => $"/runs/{Uri.EscapeDataString(runId)}/live";

    /// <summary>Where the page serves a step's full output (the owner's only): the page and the stream show long ones cut.</summary>
    public static string FullOutputUrl(string runId, string stepId) => $"{HandlerUrl(runId, "Output")}&step={Uri.EscapeDataString(stepId)}";

    /// <summary>The ids of the page's elements.</summary>
    public static class Ids
    {
        public const string Status = "run-status";
        public const string Error = "run-error";
        public const string Trace = "run-trace";
        public const string Parent = "run-parent";
        public const string ResumedFrom = "resumed-from";
        public const string ResumedBy = "resumed-by";
        public const string Resume = "run-resume";
        public const string Cancel = "run-cancel";
        public const string Approval = "run-approval";
        public const string RerunRefused = "rerun-refused";
        public const string ChildRuns = "child-runs";
        public const string BarLegend = "bar-legend";
        public const string Timeline = "timeline";
        public const string Live = "live";

        /// <summary>The flow view (also on the workflow's page).</summary>
        public const string Flow = "flow";

        /// <summary>A step's row in the timeline.</summary>
        public static string Step(string stepId) => "step-" + stepId;

        /// <summary>Where a running step's streamed text is appended.</summary>
        public static string StepDelta(string stepId) => Step(stepId) + "-delta";

        /// <summary>The heading of an agent step's conversation.</summary>
        public static string Conversation(string stepId) => "conversation-" + stepId;

        /// <summary>The list an agent step's notes are appended to, on the page and by the live stream.</summary>
        public static string ConversationEntries(string stepId) => Conversation(stepId) + "-entries";
    }
}
