using System.Globalization;
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

    /// <summary>The partial each live event is drawn with: out-of-band swaps made of the run page's own partials.</summary>
    public const string EventPartial = "/Pages/Logs/_LiveEvent.cshtml";

    public static IEndpointConventionBuilder MapRunStream(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/runs/{id}/live", async Task<Results<ServerSentEventsResult<string>, NotFound, ContentHttpResult>> (
                string id, HttpContext context, RunStore runs, WorkflowStore workflows, RunEvents events, LiveStreams streams,
                PartialHtml partials, CancellationToken cancellationToken) =>
            {
                var ownerId = AiOrchestra.Web.Pages.PageUser.OwnerId(context.User);
                // another user's run does not exist for this user: 404, not an empty stream
                var details = await runs.GetAsync(ownerId, id, cancellationToken);
                if (details is null)
                {
                    return TypedResults.NotFound();
                }
                if (!streams.TryOpen(context, context.User.FindFirstValue(ClaimTypes.NameIdentifier)!))
                {
                    return TypedResults.Text(streams.Refusal, "text/plain", statusCode: StatusCodes.Status429TooManyRequests);
                }
                var version = await workflows.GetVersionAsync(ownerId, details.Run.WorkflowId, details.Run.WorkflowVersionNumber, cancellationToken);
                var flow = version is null ? null : await FlowStates.LoadAsync(version.Workflow, details, runs, cancellationToken);
                long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), out var after);
                return TypedResults.ServerSentEvents(Fragments(events.SubscribeAsync(ownerId, id, after, cancellationToken), flow, partials, context, cancellationToken));
            })
            .RequireAuthorization(DashboardExtensions.Policy)
            .ExcludeFromDescription();

    private static async IAsyncEnumerable<SseItem<string>> Fragments(
        IAsyncEnumerable<RunEvent> events, FlowStates? flow, PartialHtml partials, HttpContext context,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in events.WithCancellation(cancellationToken))
        {
            var update = new LiveEvent(
                item,
                StepState.From(item),
                item is { Type: RunEvent.StepEntry, StepId: { } stepId, Entry: { } entry } ? new ConversationEntry(stepId, item.Item ?? -1, entry) : null,
                // the flow view is drawn again with the step's new state (a loop's progress has no fragment of its own)
                flow is not null && flow.Apply(item) ? flow.Diagram(outOfBand: true) : null);
            if (Draws(update))
            {
                var data = await partials.RenderAsync(context, EventPartial, update);
                yield return new SseItem<string>(data) { EventId = item.Sequence.ToString(CultureInfo.InvariantCulture) };
            }
            if (item.Type is RunEvent.RunFinished or RunEvent.RunWaiting)
            {
                yield return new SseItem<string>(item.Status ?? "", DoneEvent);
                yield break;
            }
        }
    }

    /// <summary>Whether the page has anything to swap for the event (the partial draws nothing for the others).</summary>
    private static bool Draws(LiveEvent update) => update.Flow is not null || update.Event.Type switch
    {
        RunEvent.RunStarted or RunEvent.RunFinished or RunEvent.RunWaiting => true,
        RunEvent.StepStarted or RunEvent.StepFinished => update.Step is not null,
        RunEvent.StepDelta => update.Event is { StepId: not null, Delta: not null },
        RunEvent.StepEntry => update.Entry is not null,
        _ => false,
    };
}
