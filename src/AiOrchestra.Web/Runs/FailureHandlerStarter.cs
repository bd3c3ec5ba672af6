using System.Text.Json.Nodes;
using AiOrchestra.Engine.Templating;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Runs;

/// <summary>
/// Starts a failed run's <c>on_failure</c> workflow with its variables rendered from <c>{{failed_run.…}}</c>. A run that
/// was itself started by a failure handler starts none, so two workflows handling each other's failures cannot loop.
/// </summary>
internal sealed class FailureHandlerStarter(RunQueue queue, IDbContextFactory<AppDbContext> dbs, ILogger<FailureHandlerStarter> log)
{
    /// <summary>The origin of a handler's run: <c>on_failure:&lt;failed run id&gt;</c>, linking it to the run that failed.</summary>
    public const string OriginPrefix = "on_failure:";

    /// <summary>
    /// Queues the handler; returns the sentence the failed run's error gains (which run was started, or why none was),
    /// or null when the workflow has no handler or the run was started by one.
    /// </summary>
    public async Task<string?> StartAsync(string runId, string ownerId, Workflow workflow, string error, string? failedStep, CancellationToken cancellationToken)
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
            return $"on_failure: workflow '{handler.WorkflowId}' was not started: {e.Message}";
        }

        var started = await queue.EnqueueAsync(ownerId, handler.WorkflowId, inputs, OriginPrefix + runId, cancellationToken);
        if (started.RunId is { } handlerRunId)
        {
            return $"on_failure: started workflow '{handler.WorkflowId}' as run {handlerRunId}";
        }
        var why = string.Join("; ", started.Errors.Select(e => e.ToString()));
        log.LogWarning("Run {RunId} failed and its failure handler {Handler} could not be started: {Errors}", runId, handler.WorkflowId, why);
        return $"on_failure: workflow '{handler.WorkflowId}' was not started: {why}";
    }
}
