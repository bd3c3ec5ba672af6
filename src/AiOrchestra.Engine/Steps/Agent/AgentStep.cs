using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Ai;
using AiOrchestra.Engine.Steps.Mcp;
using AiOrchestra.Engine.Workflows;
using Microsoft.Extensions.AI;

namespace AiOrchestra.Engine.Steps.Agent;

/// <summary>
/// <c>agent</c> <c>run</c>: a model that may call tools (function calling) until it answers. Every model turn and every
/// tool call is written to the step's journal as it finishes, so a crash or a retry goes on after the last recorded
/// one: no recorded tool call is made again and no recorded turn asked for again. Limits on turns, tokens and wall time
/// end the loop as a failed step that says which limit.
/// </summary>
public sealed class AgentStep(
    ChatProviders providers, Func<StepCatalog> catalog, McpStep? mcp = null, IWorkflowTools? workflows = null, IChildRuns? children = null,
    TimeProvider? time = null, int maxDepth = SubWorkflows.DefaultMaxDepth)
    : IStepType
{
    public const string TypeName = "agent";

    /// <summary>Calls of tools the model was not given, after which the step fails: the error went back to it this many times.</summary>
    public const int MaxUnknownToolCalls = 3;

    public const int DefaultMaxTurns = 10;
    public const int MostTurns = 100;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name => TypeName;

    public bool UsesLanguageModel => true;

    public string Description => "Let a model use tools (steps, workflows, MCP servers) until it answers; every turn and tool call is recorded.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("run", "Run the agent loop: the model answers the input, calling tools as it needs them.",
        [
            new("instructions", ParameterType.String, true, "What the agent is for and how it should work (the system message)."),
            new("input", ParameterType.Any, true, "The task or data to work on (text, or any JSON)."),
            new("tools", ParameterType.Array, false,
                "The tools: {\"step_type\", \"action\", \"parameters\"} (one step; the model fills the parameters not given), {\"workflow\": id} (another workflow; its variables are the arguments) or {\"mcp\": server} (an MCP server's tools)."),
            new("model", ParameterType.String, false, "Model name; defaults to the provider's Model setting."),
            new("provider", ParameterType.String, false, "openai (or a compatible server), anthropic or local; defaults to the AI:DefaultProvider setting."),
            new("max_turns", ParameterType.Integer, false, $"Most model turns (answers) before the step fails; default {DefaultMaxTurns}, at most {MostTurns}."),
            new("max_tokens", ParameterType.Integer, false, "Tokens (prompt and completion, all turns together) after which no further turn is asked; the step fails."),
            new("max_seconds", ParameterType.Integer, false, "Wall time of the whole loop, counted from its first turn (across restarts); past it the step fails."),
        ]),
    ];

    public IEnumerable<ValidationError> CheckParameters(string action, JsonObject parameters, string path) =>
        // a list rendered from a variable is read when the step runs; a value of another type is the schema's error
        parameters["tools"] is JsonArray tools
            ? AgentToolDefinition.Read(tools, JsonValues.Child(path, "tools"), catalog()).Problems
            : [];

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var parameters = call.Parameters;
        var context = call.Context;
        var instructions = StepParameters.RequiredText(parameters, "instructions");
        var input = parameters["input"] switch
        {
            null => throw new StepFailedException("parameter 'input' is required"),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            var other => other.ToJsonString(),
        };
        var maxTurns = StepParameters.Integer(parameters, "max_turns", 1, MostTurns) ?? DefaultMaxTurns;
        var maxTokens = StepParameters.Integer(parameters, "max_tokens", 1);
        var maxSeconds = StepParameters.Integer(parameters, "max_seconds", 1);
        var (definitions, problems) = AgentToolDefinition.Read(StepParameters.Array(parameters, "tools"), "tools", catalog());
        if (problems.Count > 0)
        {
            throw new StepFailedException("parameter " + string.Join("; ", problems.Select(p => $"'{p.Path}': {p.Message}")));
        }
        var model = providers.Resolve(StepParameters.Text(parameters, "provider"), StepParameters.Text(parameters, "model"));
        var conversation = AgentConversation.From(context.Journal.Entries);
        var startedAt = conversation.StartedAt ?? _time.GetUtcNow();
        context.Usage = conversation.Turns == 0 ? null : new TokenUsage(conversation.PromptTokens, conversation.CompletionTokens);

        using var deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked.Token;
        string LimitPassed() => $"the agent ran longer than max_seconds ({maxSeconds} s) after {Turns(conversation.Turns)} and {Calls(conversation.ToolCalls)}";
        if (maxSeconds is { } seconds)
        {
            var left = startedAt + TimeSpan.FromSeconds(seconds) - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new StepFailedException(LimitPassed());
            }
            deadline.CancelAfter(left);
        }

        try
        {
            var tools = await ToolsAsync(definitions, context, token);
            var options = new ChatOptions
            {
                ModelId = model.ModelId,
                Tools = tools.Values.Select(t => (AITool)AIFunctionFactory.CreateDeclaration(t.Name, t.Description, JsonSerializer.SerializeToElement(t.Schema))).ToList(),
            };
            while (conversation.Answer is null)
            {
                foreach (var pending in conversation.Pending.ToList())
                {
                    var entry = await CallToolAsync(pending, tools, context, token);
                    await context.Journal.AddAsync(entry);
                    conversation.Apply(entry);
                    if (conversation.UnknownToolCalls >= MaxUnknownToolCalls)
                    {
                        throw new StepFailedException(
                            $"the model asked {conversation.UnknownToolCalls} times for tools it was not given ({string.Join(", ", conversation.UnknownNames.Distinct().Select(n => $"'{n}'"))}); its tools are: {ToolList(tools)}");
                    }
                }
                if (conversation.Turns >= maxTurns)
                {
                    throw new StepFailedException(
                        $"the agent reached max_turns ({maxTurns}) without a final answer, after {Calls(conversation.ToolCalls)}; raise max_turns or give it a smaller task");
                }
                var used = conversation.PromptTokens + conversation.CompletionTokens;
                if (maxTokens is { } most && used >= most)
                {
                    throw new StepFailedException(
                        $"the agent used {used} tokens in {Turns(conversation.Turns)}, reaching max_tokens ({most}), without a final answer; raise max_tokens or give it a smaller task");
                }
                var turnStarted = _time.GetUtcNow();
                var messages = new List<ChatMessage> { new(ChatRole.System, instructions), new(ChatRole.User, input) };
                messages.AddRange(conversation.Messages);
                var response = await model.AnswerAsync(messages, options, context, token);
                var turn = TurnEntry(conversation.Turns + 1, turnStarted, response);
                await context.Journal.AddAsync(turn);
                conversation.Apply(turn);
            }
        }
        catch (Exception) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new StepFailedException(LimitPassed());
        }

        return new JsonObject
        {
            ["answer"] = conversation.Answer,
            ["turns"] = conversation.Turns,
            ["tool_calls"] = conversation.ToolCalls,
            ["tokens"] = conversation.PromptTokens + conversation.CompletionTokens,
        };
    }

    private static string Turns(int count) => count == 1 ? "1 turn" : $"{count} turns";

    private static string Calls(int count) => count == 1 ? "1 tool call" : $"{count} tool calls";

    private static string ToolList(Dictionary<string, AgentTool> tools) =>
        tools.Count == 0 ? "(none)" : string.Join(", ", tools.Keys);

    private JsonObject TurnEntry(int number, DateTimeOffset startedAt, ChatResponse response)
    {
        var calls = new JsonArray();
        foreach (var call in response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>())
        {
            var recorded = new JsonObject { ["id"] = call.CallId, ["name"] = call.Name };
            if (call.Exception is not null)
            {
                recorded["arguments"] = new JsonObject();
                recorded["problem"] = $"the arguments were not valid JSON ({call.Exception.Message}); call the tool again with a JSON object";
            }
            else
            {
                recorded["arguments"] = JsonSerializer.SerializeToNode(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions) ?? new JsonObject();
            }
            calls.Add(recorded);
        }
        return new JsonObject
        {
            ["kind"] = AgentConversation.Turn,
            ["turn"] = number,
            ["started_at"] = startedAt,
            ["finished_at"] = _time.GetUtcNow(),
            ["text"] = response.Text,
            ["tool_calls"] = calls,
            ["prompt_tokens"] = (int)(response.Usage?.InputTokenCount ?? 0),
            ["completion_tokens"] = (int)(response.Usage?.OutputTokenCount ?? 0),
        };
    }

    /// <summary>Makes one tool call the model asked for; its result, or why it failed, is the entry to record.</summary>
    private async Task<JsonObject> CallToolAsync(AgentConversation.PendingCall pending, Dictionary<string, AgentTool> tools, StepContext context, CancellationToken cancellationToken)
    {
        var entry = new JsonObject
        {
            ["kind"] = AgentConversation.Tool,
            ["call_id"] = pending.CallId,
            ["name"] = pending.Name,
            ["arguments"] = pending.Arguments.DeepClone(),
        };
        var started = _time.GetTimestamp();
        if (!tools.TryGetValue(pending.Name, out var tool))
        {
            entry["status"] = "unknown";
            entry["error"] = $"there is no tool '{pending.Name}'{Spelling.DidYouMean(pending.Name, tools.Keys)}; the tools you have are: {ToolList(tools)}";
            return entry;
        }
        try
        {
            if (pending.Problem is not null)
            {
                throw new StepFailedException(pending.Problem);
            }
            var result = await tool.CallAsync(pending, context, cancellationToken);
            entry["status"] = "succeeded";
            entry["result"] = result;
            if (tool.Kind == AgentToolKind.Workflow)
            {
                entry["child_run_id"] = result?["run_id"]?.DeepClone();
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
        {
            // the model reads the failure and may try another way; the turn limit bounds how long it tries
            entry["status"] = "failed";
            entry["error"] = e is StepFailedException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        }
        entry["duration_ms"] = (long)_time.GetElapsedTime(started).TotalMilliseconds;
        return entry;
    }

    /// <summary>The tools by the names the model calls them: step and workflow tools as written, each MCP server's as it lists them.</summary>
    private async Task<Dictionary<string, AgentTool>> ToolsAsync(List<AgentToolDefinition> definitions, StepContext context, CancellationToken cancellationToken)
    {
        var tools = new Dictionary<string, AgentTool>(StringComparer.Ordinal);
        void Add(AgentTool tool, string source)
        {
            if (!tools.TryAdd(tool.Name, tool))
            {
                throw new StepFailedException($"parameter 'tools': two tools are named '{tool.Name}' ({source}); rename one");
            }
        }
        foreach (var definition in definitions)
        {
            switch (definition.Kind)
            {
                case AgentToolKind.Step:
                    Add(StepTool(definition, context), $"step tool {definition.StepType}.{definition.Action}");
                    break;
                case AgentToolKind.Workflow:
                    Add(await WorkflowToolAsync(definition, context, cancellationToken), $"workflow '{definition.WorkflowId}'");
                    break;
                default:
                    foreach (var tool in await McpToolsAsync(definition, context, cancellationToken))
                    {
                        Add(tool, $"MCP server '{definition.Server}'");
                    }
                    break;
            }
        }
        return tools;
    }

    private AgentTool StepTool(AgentToolDefinition definition, StepContext context)
    {
        var stepType = catalog().Find(definition.StepType!)!;
        var action = stepType.Actions.First(a => a.Name == definition.Action);
        var fillable = action.Parameters
            .Where(p => !p.Secret && !definition.Parameters.ContainsKey(p.Name) && (definition.Arguments is null || definition.Arguments.Contains(p.Name)))
            .ToList();
        var properties = new JsonObject();
        foreach (var parameter in fillable)
        {
            var property = new JsonObject();
            if (JsonType(parameter.Type) is { } type)
            {
                property["type"] = type;
            }
            property["description"] = parameter.Description;
            properties[parameter.Name] = property;
        }
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = new JsonArray(fillable.Where(p => p.Required).Select(p => (JsonNode?)p.Name).ToArray()),
        };
        var description = definition.Description ?? $"{action.Description} ({stepType.Name}.{action.Name}: {stepType.Description})";
        return new AgentTool(definition.Name!, description, schema, async (pending, ctx, token) =>
        {
            var names = fillable.Select(p => p.Name).ToList();
            var parameters = definition.Parameters.DeepClone().AsObject();
            foreach (var (name, value) in pending.Arguments)
            {
                if (!names.Contains(name))
                {
                    throw new StepFailedException(
                        $"tool '{definition.Name}' takes no argument '{name}'{Spelling.DidYouMean(name, names)}; its arguments are: {(names.Count == 0 ? "(none)" : string.Join(", ", names))}");
                }
                parameters[name] = value?.DeepClone();
            }
            var toolContext = new StepContext
            {
                RunId = ctx.RunId, StepId = ctx.StepId, Attempt = 1, OwnerId = ctx.OwnerId, Values = ctx.Values, MaxRenderedBytes = ctx.MaxRenderedBytes,
            };
            return await stepType.ExecuteAsync(new StepCall(action.Name, parameters, toolContext), token);
        });
    }

    private async Task<AgentTool> WorkflowToolAsync(AgentToolDefinition definition, StepContext context, CancellationToken cancellationToken)
    {
        if (workflows is null)
        {
            throw new StepFailedException($"parameter 'tools': workflow tools are not available in this host ('{definition.WorkflowId}')");
        }
        var workflowId = definition.WorkflowId!;
        var info = await workflows.FindAsync(context.OwnerId, workflowId, cancellationToken);
        // a deleted workflow's calls fail one by one, recorded, so the model can do without it
        var properties = new JsonObject();
        foreach (var (name, value) in info?.Variables ?? new Dictionary<string, JsonNode?>())
        {
            var property = new JsonObject();
            if (JsonTypeOf(value) is { } type)
            {
                property["type"] = type;
            }
            property["description"] = value is null ? $"the workflow's variable '{name}'" : $"the workflow's variable '{name}' (default {value.ToJsonString()})";
            properties[name] = property;
        }
        var schema = new JsonObject { ["type"] = "object", ["properties"] = properties };
        var description = definition.Description
            ?? (info is { Description.Length: > 0 } ? info.Description : $"Runs the workflow '{workflowId}' and returns its outputs.");
        return new AgentTool(definition.Name!, description, schema, async (pending, ctx, token) =>
        {
            if (info is null || children is null)
            {
                throw new StepFailedException(info is null
                    ? $"the workflow '{workflowId}' of this tool no longer exists"
                    : $"workflow tools are not available in this host ('{workflowId}')");
            }
            var inputs = pending.Arguments.ToDictionary(a => a.Key, a => a.Value?.DeepClone(), StringComparer.Ordinal);
            // the call's place in the conversation names the child: a resumed agent finds the child it had started, never starts another
            var request = ChildRun.For(ctx, workflowId, inputs, callIndex: pending.Ordinal);
            if (SubWorkflows.NestingProblem(request.Path, workflowId, maxDepth) is { } problem)
            {
                throw new StepFailedException(problem);
            }
            var result = await children.RunAsync(request, token);
            if (!result.Succeeded)
            {
                throw new StepFailedException(result.RunId is null
                    ? result.Error ?? $"workflow '{workflowId}' could not be started"
                    : $"child run {result.RunId} of workflow '{workflowId}' did not succeed: {result.Error}");
            }
            return new JsonObject { ["run_id"] = result.RunId, ["outputs"] = result.Outputs ?? [] };
        }, AgentToolKind.Workflow);
    }

    private async Task<IEnumerable<AgentTool>> McpToolsAsync(AgentToolDefinition definition, StepContext context, CancellationToken cancellationToken)
    {
        if (mcp is null)
        {
            throw new StepFailedException($"parameter 'tools': MCP servers are not available in this host ('{definition.Server}')");
        }
        var listed = await mcp.ListToolsAsync(definition.Server!, context, cancellationToken);
        var offered = listed.Where(t => definition.ServerTools is null || definition.ServerTools.Contains(t.Name)).ToList();
        foreach (var wanted in definition.ServerTools ?? [])
        {
            if (!listed.Any(t => t.Name == wanted))
            {
                throw new StepFailedException(
                    $"parameter 'tools': MCP server '{definition.Server}' has no tool '{wanted}'{Spelling.DidYouMean(wanted, listed.Select(t => t.Name))}; it lists: {string.Join(", ", listed.Select(t => t.Name))}");
            }
        }
        return offered.Select(t => new AgentTool(t.Name, t.Description.Length > 0 ? t.Description : $"{t.Name} of MCP server '{definition.Server}'", t.InputSchema,
            (pending, ctx, token) => mcp.CallToolAsync(definition.Server!, t.Name, pending.Arguments.DeepClone().AsObject(), ctx, token)));
    }

    private static string? JsonType(ParameterType type) => type switch
    {
        ParameterType.String => "string",
        ParameterType.Integer => "integer",
        ParameterType.Number => "number",
        ParameterType.Boolean => "boolean",
        ParameterType.Object or ParameterType.JsonSchema => "object",
        ParameterType.Array => "array",
        _ => null,
    };

    private static string? JsonTypeOf(JsonNode? value) => value switch
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

    /// <summary>One tool as the model sees it (name, description, JSON Schema of its arguments) and how a call of it is made.</summary>
    private sealed record AgentTool(
        string Name, string Description, JsonObject Schema, Func<AgentConversation.PendingCall, StepContext, CancellationToken, Task<JsonNode?>> CallAsync,
        AgentToolKind Kind = AgentToolKind.Step);
}
