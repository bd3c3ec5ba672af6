using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using AiOrchestra.Web.Runs;
using Microsoft.AspNetCore.Http.HttpResults;
using AiOrchestra.Web.Workflows;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// <c>GET /runs/{id}/live</c>: a run's events as HTML fragments for htmx's hx-sse extension. Every message is an
/// unnamed event whose data holds out-of-band swaps (step rows, the run's status, streamed tokens), numbered with the
/// run's event sequence so a reconnect (Last-Event-ID) continues where it stopped. After the run's final status comes
/// the named event <c>done</c>, on which the page closes the stream.
/// </summary>
public static class RunStream
{
    public const string DoneEvent = "done";

    /// <summary>The partial the flow view is drawn with, on the run page and in its live stream.</summary>
    public const string FlowPartial = "/Pages/Shared/_FlowDiagram.cshtml";

    public static IEndpointConventionBuilder MapRunStream(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/runs/{id}/live", async Task<Results<ServerSentEventsResult<string>, NotFound, ContentHttpResult>> (
                string id, HttpContext context, RunStore runs, WorkflowStore workflows, RunEvents events, LiveStreams streams, RunHtml html,
                PartialHtml partials, CancellationToken cancellationToken) =>
            {
                var ownerId = context.User.FindFirstValue(ClaimTypes.NameIdentifier)!;
                // another user's run does not exist for this user: 404, not an empty stream
                var details = await runs.GetAsync(ownerId, id, cancellationToken);
                if (details is null)
                {
                    return TypedResults.NotFound();
                }
                if (!streams.TryOpen(context, ownerId))
                {
                    return TypedResults.Text(streams.Refusal, "text/plain", statusCode: StatusCodes.Status429TooManyRequests);
                }
                var version = await workflows.GetVersionAsync(ownerId, details.Run.WorkflowId, details.Run.WorkflowVersionNumber, cancellationToken);
                var flow = version is null ? null : await FlowStates.LoadAsync(version.Workflow, details, runs, cancellationToken);
                long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), out var after);
                var live = new LiveFlow(flow, partials, context);
                return TypedResults.ServerSentEvents(Fragments(events.SubscribeAsync(ownerId, id, after, cancellationToken), html, live, partials, context, cancellationToken));
            })
            .RequireAuthorization(DashboardExtensions.Policy)
            .ExcludeFromDescription();

    private static async IAsyncEnumerable<SseItem<string>> Fragments(
        IAsyncEnumerable<RunEvent> events, RunHtml html, LiveFlow flow, PartialHtml partials, HttpContext context,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in events.WithCancellation(cancellationToken))
        {
            var id = item.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var data = item.Type switch
            {
                RunEvent.RunStarted => RunHtml.RunStatusText(item.Status ?? "running", outOfBand: true),
                RunEvent.StepStarted or RunEvent.StepFinished when item.StepId is not null => html.StepRowText(
                    new StepView(item.StepId, item.Status ?? "running")
                    {
                        Attempts = item.Attempt ?? 0,
                        DurationMs = item.Type == RunEvent.StepFinished ? item.DurationMs : null,
                        Output = item.Output,
                        Error = item.Error,
                        Usage = item.Usage,
                        RunId = item.RunId,
                    },
                    outOfBand: true),
                RunEvent.StepDelta when item.StepId is not null && item.Delta is not null => RunHtml.DeltaText(item.StepId, item.Delta),
                // an agent's turn or tool call, appended to the step's conversation
                RunEvent.StepEntry when item.StepId is not null && item.Entry is not null => RunHtml.AppendText(
                    ConversationEntry.ListId(item.StepId),
                    await partials.RenderAsync(context, "/Pages/Logs/_AgentEntry.cshtml", new ConversationEntry(item.StepId, item.Item ?? -1, item.Entry))),
                RunEvent.RunFinished => RunHtml.RunStatusText(item.Status ?? "finished", outOfBand: true)
                                        + RunHtml.RunErrorText(item.Error) + RunHtml.FinishedActionsText(),
                RunEvent.RunWaiting => RunHtml.RunStatusText(item.Status ?? "waiting", outOfBand: true) + RunHtml.WaitingPanelText(item.RunId),
                _ => null,
            };
            // the flow view is drawn again with the step's new state (a loop's progress has no fragment of its own)
            data = await flow.AppendAsync(item, data);
            if (data is not null)
            {
                yield return new SseItem<string>(data) { EventId = id };
            }
            if (item.Type is RunEvent.RunFinished or RunEvent.RunWaiting)
            {
                yield return new SseItem<string>(item.Status ?? "", DoneEvent);
                yield break;
            }
        }
    }

    /// <summary>The run page's flow view as the live events change it; draws nothing when the workflow version is gone.</summary>
    private sealed class LiveFlow(FlowStates? states, PartialHtml partials, HttpContext context)
    {
        public async Task<string?> AppendAsync(RunEvent item, string? data)
        {
            if (states is null || !states.Apply(item))
            {
                return data;
            }
            return data + await partials.RenderAsync(context, FlowPartial, states.Diagram(outOfBand: true));
        }
    }
}
