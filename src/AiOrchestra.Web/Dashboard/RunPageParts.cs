using AiOrchestra.Web.Runs;

namespace AiOrchestra.Web.Dashboard;

/// <summary>The run's status badge (<c>Pages/Logs/_RunStatus.cshtml</c>), on the page and swapped in by the live stream.</summary>
public sealed record RunStatusBadge(string Status, bool OutOfBand = false);

/// <summary>
/// The run's cancel area (<c>Pages/Logs/_RunCancel.cshtml</c>): the cancel button while the run can be cancelled, a
/// note while a cancel is under way, empty once the run finished (the live stream then swaps it in).
/// </summary>
public sealed record RunCancelArea(string RunId, bool Cancellable, bool Cancelling = false, bool OutOfBand = false);

/// <summary>
/// One live event as the run page's stream sends it (<c>Pages/Logs/_LiveEvent.cshtml</c>): out-of-band swaps made of
/// the page's own partials.
/// </summary>
/// <param name="Step">The step's state on step-started and step-finished.</param>
/// <param name="Entry">The note on step-entry (an agent's turn or tool call).</param>
/// <param name="Flow">The flow view drawn again, when the event changed it.</param>
public sealed record LiveEvent(RunEvent Event, StepState? Step, ConversationEntry? Entry, FlowDiagram? Flow);
