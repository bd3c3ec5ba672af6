using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Agent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// The agent step against fakes of the model providers (OpenAI's streamed tool_calls, Anthropic's tool_use blocks) and
/// of the tools it calls (HTTP endpoints behind http steps, a real MCP server): the loop, its journal, its limits.
/// </summary>
public sealed class AgentStepTests
{
    private static JsonObject HttpTool(string name, string url) => new()
    {
        ["name"] = name,
        ["description"] = $"Looks up the {name} of a city; send {{\"city\": ...}} as the body.",
        ["step_type"] = "http",
        ["action"] = "request",
        ["parameters"] = new JsonObject { ["method"] = "POST", ["url"] = url },
        ["arguments"] = new JsonArray("body"),
    };

    private static JsonObject Agent(string url, JsonObject? more = null)
    {
        var parameters = new JsonObject
        {
            ["instructions"] = "You answer questions about the weather. Use the tools.",
            ["input"] = "What is the weather in Paris, and tomorrow?",
            ["tools"] = new JsonArray(HttpTool("weather", url + "/tools/weather"), HttpTool("forecast", url + "/tools/forecast")),
        };
        foreach (var (key, value) in more ?? [])
        {
            parameters[key] = value?.DeepClone();
        }
        return parameters;
    }

    private static Task Tools(RecordedRequest request, HttpContext context) => request.Path switch
    {
        "/tools/weather" => FakeServer.Json(context, 200, """{"temp": 21}"""),
        "/tools/forecast" => FakeServer.Json(context, 200, """{"tomorrow": "rain"}"""),
        _ => FakeServer.Json(context, 404, """{"error": {"message": "no such path"}}"""),
    };

    private static IntegrationHarness Harness(string url, Action<IServiceCollection>? services = null) =>
        IntegrationHarness.Create(url, services: s =>
        {
            AgentFakes.AddToolSteps(s);
            services?.Invoke(s);
        });

    [Fact]
    public async Task An_openai_agent_calls_two_tools_then_answers_and_every_turn_and_call_is_journaled()
    {
        var chats = 0;
        await using var server = await FakeServer.StartAsync((request, context) => !AgentFakes.IsChat(request) ? Tools(request, context)
            : Interlocked.Increment(ref chats) switch
            {
                1 => AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "weather", """{"body": {"city": "Paris"}}""")),
                2 => AgentFakes.OpenAIToolCallsAsync(context, ("call_2", "forecast", """{"body": {"city": "Paris"}}""")),
                _ => OpenAIStepTests.StreamAsync(context, "Paris: 21 °C today, ", "rain tomorrow."),
            });
        await using var harness = Harness(server.Url);
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("agent", "run", Agent(server.Url), context);

        Assert.Equal("Paris: 21 °C today, rain tomorrow.", (string?)output!["answer"]);
        Assert.Equal(3, (int)output["turns"]!);
        Assert.Equal(2, (int)output["tool_calls"]!);
        Assert.Equal(40 + 40 + 15, (int)output["tokens"]!);
        var received = server.Received;
        Assert.Equal(["/v1/chat/completions", "/tools/weather", "/v1/chat/completions", "/tools/forecast", "/v1/chat/completions"], received.Select(r => r.Path));
        Assert.Equal("""{"city":"Paris"}""", JsonNode.Parse(received[1].Body)!.ToJsonString());
        Assert.Equal(["weather", "forecast"], AgentFakes.ToolNames(received[0]));
        // the second turn sees the first call and its result, in OpenAI's shape
        var second = AgentFakes.Messages(received[2]);
        Assert.Equal(["system", "user", "assistant", "tool"], second.Select(m => (string?)m!["role"]));
        Assert.Equal("call_1", (string?)second[2]!["tool_calls"]![0]!["id"]);
        Assert.Equal("call_1", (string?)second[3]!["tool_call_id"]);
        Assert.Contains("21", (string?)second[3]!["content"]);
        Assert.Equal(6, AgentFakes.Messages(received[4]).Count); // system, user, then two assistant turns each with its tool result
        Assert.Equal(["turn", "tool", "turn", "tool", "turn"], context.Journal.Entries.Select(e => (string?)e["kind"]));
        Assert.Equal("succeeded", (string?)context.Journal.Entries[1]["status"]);
        Assert.Equal(21, (int)context.Journal.Entries[1]["result"]!["json"]!["temp"]!);
        Assert.Equal(95, context.Usage!.TotalTokens);
    }

    [Fact]
    public async Task An_anthropic_agent_calls_two_tools_then_answers()
    {
        var chats = 0;
        await using var server = await FakeServer.StartAsync((request, context) => !AgentFakes.IsChat(request) ? Tools(request, context)
            : Interlocked.Increment(ref chats) switch
            {
                1 => ChatProviderTests.AnthropicToolUseAsync(context, "toolu_01", "weather", "{\"body\": {\"ci", "ty\": \"Paris\"}}"),
                2 => ChatProviderTests.AnthropicToolUseAsync(context, "toolu_02", "forecast", "{\"body\": {\"city\": \"Paris\"}}"),
                _ => ChatProviderTests.AnthropicStreamAsync(context, "Paris: 21 °C, ", "rain tomorrow."),
            });
        await using var harness = Harness(server.Url);

        var output = await harness.RunAsync("agent", "run", Agent(server.Url, new JsonObject { ["provider"] = "anthropic" }));

        Assert.Equal("Paris: 21 °C, rain tomorrow.", (string?)output!["answer"]);
        Assert.Equal(3, (int)output["turns"]!);
        Assert.Equal(2, (int)output["tool_calls"]!);
        var received = server.Received;
        Assert.Equal(["/v1/messages", "/tools/weather", "/v1/messages", "/tools/forecast", "/v1/messages"], received.Select(r => r.Path));
        Assert.Equal(["weather", "forecast"], AgentFakes.ToolNames(received[0]));
        // Anthropic's shape: the assistant's tool_use block, then a user message with the tool_result for its id
        var third = AgentFakes.Messages(received[4]).ToJsonString();
        Assert.Contains("\"type\":\"tool_use\"", third);
        Assert.Contains("\"tool_use_id\":\"toolu_01\"", third);
        Assert.Contains("\"tool_use_id\":\"toolu_02\"", third);
        Assert.Contains("rain", third);
    }

    [Fact]
    public async Task A_resumed_agent_neither_repeats_a_recorded_tool_call_nor_asks_again_for_a_recorded_turn()
    {
        var chats = 0;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var forecastAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await FakeServer.StartAsync(async (request, context) =>
        {
            if (request.Path == "/tools/forecast")
            {
                forecastAsked.TrySetResult();
                await held.Task.WaitAsync(context.RequestAborted);
            }
            await (!AgentFakes.IsChat(request) ? Tools(request, context)
                : Interlocked.Increment(ref chats) == 1
                    ? AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "weather", """{"body": {"city": "Paris"}}"""), ("call_2", "forecast", """{"body": {"city": "Paris"}}"""))
                    : OpenAIStepTests.StreamAsync(context, "21 °C, then rain."));
        });
        await using var harness = Harness(server.Url);
        var recorded = new List<JsonObject>();
        var crashed = new StepContext
        {
            RunId = "run-1", StepId = "agent", Attempt = 1, OwnerId = "owner-1",
            Journal = new StepJournal([], (_, entry) => { lock (recorded) { recorded.Add(entry); } return ValueTask.CompletedTask; }),
        };
        using var crash = new CancellationTokenSource();

        var running = harness.Step("agent").ExecuteAsync(new StepCall("run", Agent(server.Url), crashed), crash.Token);
        await forecastAsked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        crash.Cancel(); // the process goes away during the second tool call
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(["turn", "tool"], recorded.Select(e => (string?)e["kind"]));

        held.SetResult();
        var resumed = new StepContext { RunId = "run-1", StepId = "agent", Attempt = 1, OwnerId = "owner-1", Journal = new StepJournal(recorded, (_, _) => ValueTask.CompletedTask) };
        var output = await harness.Step("agent").ExecuteAsync(new StepCall("run", Agent(server.Url), resumed), CancellationToken.None);

        Assert.Equal("21 °C, then rain.", (string?)output!["answer"]);
        Assert.Equal(2, (int)output["turns"]!);
        Assert.Equal(2, (int)output["tool_calls"]!);
        var paths = server.Received.Select(r => r.Path).ToList();
        Assert.Equal(1, paths.Count(p => p == "/tools/weather"));
        Assert.Equal(2, paths.Count(p => p == "/v1/chat/completions"));
        // the call in flight at the crash is made again; the recorded one is not
        Assert.Equal(["/v1/chat/completions", "/tools/weather", "/tools/forecast", "/tools/forecast", "/v1/chat/completions"], paths);
        Assert.Equal(["turn", "tool", "tool", "turn"], resumed.Journal.Entries.Select(e => (string?)e["kind"]));
    }

    /// <summary>A model that never answers: every turn asks for the weather again.</summary>
    private static Task<FakeServer> EndlessAsync(Action? onChat = null)
    {
        var chats = 0;
        return FakeServer.StartAsync((request, context) =>
        {
            if (!AgentFakes.IsChat(request))
            {
                return Tools(request, context);
            }
            onChat?.Invoke();
            var n = Interlocked.Increment(ref chats);
            return AgentFakes.OpenAIToolCallsAsync(context, ($"call_{n}", "weather", """{"body": {"city": "Paris"}}"""));
        });
    }

    [Fact]
    public async Task Max_turns_ends_a_loop_that_never_answers_as_a_failed_step_that_says_so()
    {
        await using var server = await EndlessAsync();
        await using var harness = Harness(server.Url);

        var error = await harness.FailAsync("agent", "run", Agent(server.Url, new JsonObject { ["max_turns"] = 2 }));

        Assert.Equal("the agent reached max_turns (2) without a final answer, after 2 tool calls; raise max_turns or give it a smaller task", error.Message);
        Assert.False(error.Transient);
        Assert.Equal(2, server.Received.Count(AgentFakes.IsChat));
    }

    [Fact]
    public async Task Max_tokens_stops_asking_for_turns_once_the_tokens_used_reach_it()
    {
        await using var server = await EndlessAsync();
        await using var harness = Harness(server.Url);

        var error = await harness.FailAsync("agent", "run", Agent(server.Url, new JsonObject { ["max_tokens"] = 50 }));

        Assert.Equal("the agent used 80 tokens in 2 turns, reaching max_tokens (50), without a final answer; raise max_tokens or give it a smaller task", error.Message);
        Assert.Equal(2, server.Received.Count(AgentFakes.IsChat));
    }

    [Fact]
    public async Task Max_seconds_ends_the_loop_on_the_injected_clock_even_inside_a_model_turn()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));
        // each model turn takes 40 s of the fake clock; the third passes the 100 s limit while it is being answered
        await using var server = await EndlessAsync(() => time.Advance(TimeSpan.FromSeconds(40)));
        await using var harness = Harness(server.Url, s => s.AddSingleton<TimeProvider>(time));

        var error = await harness.FailAsync("agent", "run", Agent(server.Url, new JsonObject { ["max_seconds"] = 100 }));

        Assert.Equal("the agent ran longer than max_seconds (100 s) after 2 turns and 2 tool calls", error.Message);
        Assert.Equal(3, server.Received.Count(AgentFakes.IsChat));
    }

    [Fact]
    public async Task A_tool_the_model_was_not_given_is_answered_with_an_error_it_can_read_and_recorded()
    {
        var chats = 0;
        await using var server = await FakeServer.StartAsync((request, context) => Interlocked.Increment(ref chats) == 1
            ? AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "wether", """{"city": "Paris"}"""))
            : OpenAIStepTests.StreamAsync(context, "I could not look it up."));
        await using var harness = Harness(server.Url);
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("agent", "run", Agent(server.Url), context);

        Assert.Equal("I could not look it up.", (string?)output!["answer"]);
        var tool = context.Journal.Entries[1];
        Assert.Equal("unknown", (string?)tool["status"]);
        Assert.Equal("there is no tool 'wether' (did you mean 'weather'?); the tools you have are: weather, forecast", (string?)tool["error"]);
        var answer = AgentFakes.Messages(server.Received[1])[3]!;
        Assert.Equal("tool", (string?)answer["role"]);
        Assert.StartsWith("Error: there is no tool 'wether'", (string?)answer["content"]);
        Assert.DoesNotContain(server.Received, r => r.Path.StartsWith("/tools/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_model_that_keeps_asking_for_tools_it_was_not_given_fails_the_step_after_a_few_tries()
    {
        var chats = 0;
        await using var server = await FakeServer.StartAsync((_, context) =>
            AgentFakes.OpenAIToolCallsAsync(context, ($"call_{Interlocked.Increment(ref chats)}", "delete_everything", "{}")));
        await using var harness = Harness(server.Url);
        var context = IntegrationHarness.NewContext();

        var error = await harness.FailAsync("agent", "run", Agent(server.Url), context);

        Assert.Equal($"the model asked {AgentStep.MaxUnknownToolCalls} times for tools it was not given ('delete_everything'); its tools are: weather, forecast", error.Message);
        Assert.Equal(AgentStep.MaxUnknownToolCalls, server.Received.Count);
        Assert.Equal(AgentStep.MaxUnknownToolCalls, context.Journal.Entries.Count(e => (string?)e["status"] == "unknown"));
    }

    [Fact]
    public async Task An_mcp_servers_tools_are_offered_with_their_schema_and_called_through_the_mcp_client()
    {
        await using var mcpServer = await McpStepTests.TestMcpServer.StartAsync();
        var chats = 0;
        await using var server = await FakeServer.StartAsync((_, context) => Interlocked.Increment(ref chats) == 1
            ? AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "add", """{"a": 2, "b": 40}"""))
            : OpenAIStepTests.StreamAsync(context, "42"));
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?>
        {
            ["Mcp:Servers:tools:Url"] = mcpServer.Url,
            ["Mcp:Servers:tools:Token"] = McpStepTests.Token,
        });
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("agent", "run", new JsonObject
        {
            ["instructions"] = "Add numbers with the tools.",
            ["input"] = "2 + 40?",
            ["tools"] = new JsonArray(new JsonObject { ["mcp"] = "tools", ["tools"] = new JsonArray("add") }),
        }, context);

        Assert.Equal("42", (string?)output!["answer"]);
        Assert.Equal(["add"], mcpServer.Calls);
        Assert.Equal(["add"], AgentFakes.ToolNames(server.Received[0]));
        Assert.Equal(42, (int)context.Journal.Entries[1]["result"]!["sum"]!);
    }

    [Fact]
    public async Task A_workflow_tool_whose_workflow_is_gone_fails_that_call_only_recorded_and_told_to_the_model()
    {
        var chats = 0;
        await using var server = await FakeServer.StartAsync((_, context) => Interlocked.Increment(ref chats) == 1
            ? AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "lookup_customer", """{"email": "a@example.com"}"""))
            : OpenAIStepTests.StreamAsync(context, "I cannot look customers up right now."));
        var none = new NoWorkflows();
        await using var harness = Harness(server.Url, s => s.AddSingleton<IWorkflowTools>(none).AddSingleton<IChildRuns>(none));
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("agent", "run", new JsonObject
        {
            ["instructions"] = "Help the customer.",
            ["input"] = "Who is a@example.com?",
            ["tools"] = new JsonArray(new JsonObject { ["workflow"] = "lookup_customer" }),
        }, context);

        Assert.Equal("I cannot look customers up right now.", (string?)output!["answer"]);
        var tool = context.Journal.Entries[1];
        Assert.Equal("failed", (string?)tool["status"]);
        Assert.Equal("the workflow 'lookup_customer' of this tool no longer exists", (string?)tool["error"]);
        Assert.Contains("no longer exists", (string?)AgentFakes.Messages(server.Received[1])[3]!["content"]);
    }

    private sealed class NoWorkflows : IWorkflowTools, IChildRuns
    {
        public Task<WorkflowToolInfo?> FindAsync(string ownerId, string workflowId, CancellationToken cancellationToken) => Task.FromResult<WorkflowToolInfo?>(null);

        public Task<ChildRunResult> RunAsync(ChildRun request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a workflow that does not exist is never run");
    }
}
