using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Api;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Api.Runs;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace AiOrchestra.Web.Mcp;

/// <summary>
/// The token user's workflows whose <c>mcp</c> section says <c>"expose": true</c>, as MCP tools: the variables are the
/// arguments, the description is the tool's. A call queues a run (origin <c>mcp</c>) and answers with its result, or with
/// the run id when it outlives the execute wait. An unknown tool or wrong arguments are JSON-RPC errors and nothing runs.
/// </summary>
public sealed class WorkflowTools(
    AppDbContext db, WorkflowVersionCache versions, RunQueue queue, RunStore runs, IOptions<ApiOptions> api, TimeProvider time)
{
    /// <summary>How many of a user's workflows are looked at for tools; more are left out of the list (and cannot be called).</summary>
    public const int MaxWorkflows = 500;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>The exposed workflows of <paramref name="ownerId"/> by tool name; a name claimed twice goes to the first workflow by id.</summary>
    public async Task<IReadOnlyDictionary<string, Workflow>> ExposedAsync(string ownerId, CancellationToken cancellationToken)
    {
        var current = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.Record!.OwnerId == ownerId && v.Record.DeletedAt == null && v.Number == v.Record.CurrentVersion)
            .OrderBy(v => v.Record!.WorkflowId)
            .Select(v => new { v.Id, v.Definition })
            .Take(MaxWorkflows)
            .ToListAsync(cancellationToken);
        var tools = new Dictionary<string, Workflow>(StringComparer.Ordinal);
        foreach (var version in current)
        {
            var workflow = versions.GetOrParse(version.Id, version.Definition);
            if (workflow.Mcp is { Expose: true } mcp)
            {
                tools.TryAdd(ToolName(workflow, mcp), workflow);
            }
        }
        return tools;
    }

    public static string ToolName(Workflow workflow, McpSettings mcp) => mcp.ToolName ?? workflow.WorkflowId;

    public async ValueTask<ListToolsResult> ListAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var exposed = await ExposedAsync(user.OwnerId(), cancellationToken);
        return new ListToolsResult
        {
            Tools = exposed.Select(t => new Tool
            {
                Name = t.Key,
                Title = t.Value.Name.Length > 0 ? t.Value.Name : null,
                Description = t.Value.Description ?? (t.Value.Name.Length > 0 ? t.Value.Name : $"Runs the workflow '{t.Value.WorkflowId}'."),
                InputSchema = JsonSerializer.SerializeToElement(InputSchema(t.Value)),
            }).ToList(),
        };
    }

    public async ValueTask<CallToolResult> CallAsync(
        ClaimsPrincipal user, string name, IDictionary<string, JsonElement>? arguments, CancellationToken cancellationToken)
    {
        var owner = user.OwnerId();
        var exposed = await ExposedAsync(owner, cancellationToken);
        if (!exposed.TryGetValue(name, out var workflow))
        {
            var known = exposed.Count == 0 ? "no workflow is exposed as a tool" : $"the tools are: {string.Join(", ", exposed.Keys)}";
            throw new McpProtocolException($"unknown tool '{name}'{Spelling.DidYouMean(name, exposed.Keys)}; {known}", McpErrorCode.InvalidParams);
        }
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, value) in arguments ?? new Dictionary<string, JsonElement>())
        {
            inputs[key] = JsonSerializer.SerializeToNode(value);
        }
        var mismatches = OutputSchema.From(InputSchema(workflow), "the tool's input schema").Mismatches(new JsonObject(inputs.Select(i => KeyValuePair.Create(i.Key, i.Value?.DeepClone()))));
        if (mismatches.Count > 0)
        {
            throw new McpProtocolException($"wrong arguments for tool '{name}': {string.Join("; ", mismatches)}", McpErrorCode.InvalidParams);
        }

        var (queued, watch) = await queue.EnqueueAndWatchAsync(owner, workflow.WorkflowId, inputs, RunOrigin.Mcp, cancellationToken);
        using var watching = watch;
        if (!queued.Succeeded)
        {
            // the workflow was deleted since it was listed, or an input is over a limit: nothing was queued
            var errors = string.Join("; ", queued.Errors.Select(e => e.ToString()));
            throw new McpProtocolException($"tool '{name}' was not run: {errors}", McpErrorCode.InvalidParams);
        }
        var runId = queued.RunId!;
        var finished = watch is not null && await watch.WaitForFinishAsync(TimeSpan.FromSeconds(api.Value.ExecuteWaitSeconds), time, cancellationToken);
        var details = (finished ? watch!.Finished : null) ?? await runs.GetAsync(owner, runId, cancellationToken);
        if (finished && details is not null && details.Run.Status.IsFinished())
        {
            var result = RunJson.Executed(details);
            var json = JsonSerializer.SerializeToElement(result, Json);
            return new CallToolResult
            {
                Content = [new TextContentBlock { Text = json.GetRawText() }],
                StructuredContent = json,
                IsError = !result.Success,
            };
        }
        var accepted = JsonSerializer.SerializeToElement(new RunAccepted(runId, details?.Run.Status.ToText() ?? "queued", RunJson.Location(runId)), Json);
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = $"The run {runId} is still going; follow it at GET {RunJson.Location(runId)} with the same bearer token. {accepted.GetRawText()}" }],
            StructuredContent = accepted,
        };
    }

    /// <summary>The tool's arguments: one property per variable, typed like its default value; none required (the defaults apply).</summary>
    public static JsonObject InputSchema(Workflow workflow)
    {
        var properties = new JsonObject();
        foreach (var (variable, value) in workflow.Variables)
        {
            var property = new JsonObject();
            if (TypeOf(value) is { } type)
            {
                property["type"] = type;
            }
            property["description"] = $"Default: {value?.ToJsonString() ?? "null"}";
            properties[variable] = property;
        }
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
    }

    private static string? TypeOf(JsonNode? value) => value switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => null,
        },
        _ => null,
    };
}
