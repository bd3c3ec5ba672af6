using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Prepares a failed run's <c>on_failure</c> workflow run with its variables rendered from <c>{{failed_run.…}}</c>. A run
/// that was itself started by a failure handler starts none, so two workflows handling each other's failures cannot loop.
/// The handler's run is stored by the same write that records the failed run's end (<see cref="RunWriter.FinishRunAsync"/>):
/// a crash before it loses neither, and a failed run recovered and failing again never starts its handler twice.
/// </summary>
internal sealed class FailureHandlerStarter(RunQueue queue, IDbContextFactory<AppDbContext> dbs, ILogger<FailureHandlerStarter> log)
{
    /// <summary>The origin of a handler's run: <c>on_failure:&lt;failed run id&gt;</c>, linking it to the run that failed.</summary>
    public const string OriginPrefix = "on_failure:";

    /// <summary>
    /// The handler's run to store with the failed run's end (null when none can start), and the sentence the failed
    /// run's error gains (which run handles it, or why none does); null when the workflow has no handler or the run
    /// was started by one.
    /// </summary>
    public async Task<(string Sentence, Run? HandlerRun)?> PrepareAsync(string runId, string ownerId, Workflow workflow, string error, string? failedStep, CancellationToken cancellationToken)
    {
        if (workflow.OnFailure is not { } handler)
        {
            return null;
        }
        await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
        {
            var origin = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => r.Origin).SingleOrDefaultAsync(cancellationToken);
            if (origin?.StartsWith(OriginPrefix, StringComparison.Ordinal) == true)
            {
                return null;
            }
        }

        var scope = new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["failed_run"] = new JsonObject
            {
                ["id"] = runId,
                ["workflow_id"] = workflow.WorkflowId,
                ["error"] = error,
                ["failed_step"] = failedStep,
            },
        };
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, value) in handler.Variables)
            {
                inputs[name] = Template.RenderNode(value, scope);
            }
        }
        catch (TemplateException e)
        {
            return ($"on_failure: workflow '{handler.WorkflowId}' was not started: {e.Message}", null);
        }

        var (prepared, handlerRun, _) = await queue.PrepareAsync(ownerId, handler.WorkflowId, inputs, OriginPrefix + runId, cancellationToken);
        if (handlerRun is not null)
        {
            using var queuedSpan = Metrics.RunTracing.StartQueued(handler.WorkflowId, handlerRun.Origin);
            handlerRun.TraceParent = queuedSpan?.Id;
            queuedSpan?.SetTag("aiorchestra.run.id", handlerRun.Id);
            return ($"on_failure: started workflow '{handler.WorkflowId}' as run {handlerRun.Id}", handlerRun);
        }
        var why = string.Join("; ", prepared.Errors.Select(e => e.ToString()));
        log.LogWarning("Run {RunId} failed and its failure handler {Handler} could not be started: {Errors}", runId, handler.WorkflowId, why);
        return ($"on_failure: workflow '{handler.WorkflowId}' was not started: {why}", null);
    }
}
