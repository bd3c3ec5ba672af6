using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Ai;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// The providers behind the LLM steps (<c>provider</c>: openai, anthropic, local), each against a fake that speaks its
/// documented wire format: Anthropic's Messages API with its streaming events, an OpenAI-compatible local server.
/// </summary>
public sealed class ChatProviderTests
{
    /// <summary>A streamed Messages API answer as Anthropic documents it: message_start, a text block in deltas, message_delta with usage, message_stop.</summary>
    internal static async Task AnthropicStreamAsync(HttpContext context, params string[] tokens)
    {
        await AnthropicEventsAsync(context,
            ("message_start", """{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}"""),
            ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
            ("ping", """{"type":"ping"}"""));
        foreach (var token in tokens)
        {
            await AnthropicEventsAsync(context, ("content_block_delta",
                $$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":{{{JsonValue.Create(token).ToJsonString()}}}}}"""));
        }
        await AnthropicEventsAsync(context,
            ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            ("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"""),
            ("message_stop", """{"type":"message_stop"}"""));
    }

    /// <summary>A streamed answer that asks for one tool: a text block, then a tool_use block whose input arrives as input_json_delta parts.</summary>
    internal static Task AnthropicToolUseAsync(HttpContext context, string toolUseId, string tool, params string[] inputParts)
    {
        var events = new List<(string, string)>
        {
            ("message_start", """{"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":40,"output_tokens":1}}}"""),
            ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me look."}}"""),
            ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            ("content_block_start", $$$$"""{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"{{{{toolUseId}}}}","name":"{{{{tool}}}}","input":{}}}"""),
        };
        events.AddRange(inputParts.Select(part => ("content_block_delta",
            $$$"""{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":{{{JsonValue.Create(part).ToJsonString()}}}}}""")));
        events.Add(("content_block_stop", """{"type":"content_block_stop","index":1}"""));
        events.Add(("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":30}}"""));
        events.Add(("message_stop", """{"type":"message_stop"}"""));
        return AnthropicEventsAsync(context, events.ToArray());
    }

    private static async Task AnthropicEventsAsync(HttpContext context, params (string Event, string Data)[] events)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.ContentType = "text/event-stream";
        }
        foreach (var (name, data) in events)
        {
            await context.Response.WriteAsync($"event: {name}\ndata: {data}\n\n");
            await context.Response.Body.FlushAsync();
        }
    }

    [Fact]
    public async Task The_anthropic_provider_streams_through_the_messages_api_and_records_usage()
    {
        await using var server = await FakeServer.StartAsync((_, context) => AnthropicStreamAsync(context, "Bonjour", " le monde"));
        await using var harness = IntegrationHarness.Create(server.Url);
        var deltas = new List<string>();
        var context = IntegrationHarness.NewContext(deltas);

        var output = await harness.RunAsync("openai", "generate_completion", new JsonObject
        {
            ["provider"] = "anthropic",
            ["prompt"] = "Say hello in French",
            ["system"] = "Be brief.",
            ["max_tokens"] = 64,
        }, context);

        Assert.Equal("Bonjour le monde", output!.GetValue<string>());
        Assert.Equal(["Bonjour", " le monde"], deltas);
        Assert.Equal(25, context.Usage!.PromptTokens);
        Assert.Equal(15, context.Usage.CompletionTokens);
        var request = Assert.Single(server.Received);
        Assert.Equal("/v1/messages", request.Path);
        // the SDK (13.x) sends the key as a bearer token; older versions used x-api-key
        Assert.Contains(IntegrationHarness.AnthropicKey, $"{request.Header("x-api-key")} {request.Header("Authorization")}");
        Assert.False(string.IsNullOrEmpty(request.Header("anthropic-version")));
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("claude-sonnet-4-5", (string?)body["model"]);
        Assert.Equal(64, (int)body["max_tokens"]!);
        Assert.True((bool)body["stream"]!);
        Assert.Contains("Be brief.", body["system"]!.ToJsonString());
        Assert.Equal("user", (string?)body["messages"]![0]!["role"]);
        Assert.Contains("Say hello in French", body["messages"]![0]!["content"]!.ToJsonString());
    }

    [Fact]
    public async Task The_default_provider_comes_from_configuration()
    {
        await using var server = await FakeServer.StartAsync((_, context) => AnthropicStreamAsync(context, "ok"));
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?>
        {
            ["AI:DefaultProvider"] = "anthropic",
            ["Anthropic:Model"] = "claude-haiku-4-5",
        });

        var output = await harness.RunAsync("openai", "summarize", new JsonObject { ["text"] = "A long text." });

        Assert.Equal("ok", output!.GetValue<string>());
        var request = Assert.Single(server.Received);
        Assert.Equal("/v1/messages", request.Path);
        Assert.Equal("claude-haiku-4-5", (string?)JsonNode.Parse(request.Body)!["model"]);
    }

    [Fact]
    public async Task Anthropic_refusing_the_key_fails_at_once_with_its_message_and_without_the_key()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 401,
            $$$"""{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key {{{IntegrationHarness.AnthropicKey}}}"}}"""));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["provider"] = "anthropic", ["prompt"] = "hi" });

        Assert.Equal("Anthropic answered 401 Unauthorized: invalid x-api-key [redacted: Anthropic:ApiKey] (check the Anthropic:ApiKey setting)", error.Message);
        Assert.False(error.Transient);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task Anthropic_overloaded_is_retried_by_the_resilience_pipeline()
    {
        var calls = 0;
        await using var server = await FakeServer.StartAsync((_, context) => Interlocked.Increment(ref calls) == 1
            ? FakeServer.Json(context, 529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""")
            : AnthropicStreamAsync(context, "second time lucky"));
        await using var harness = IntegrationHarness.Create(server.Url);
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("openai", "generate_completion", new JsonObject { ["provider"] = "anthropic", ["prompt"] = "hi" }, context);

        Assert.Equal("second time lucky", output!.GetValue<string>());
        Assert.Equal(2, server.Received.Count);
        Assert.Equal(2, context.HttpAttempts);
    }

    [Fact]
    public async Task Anthropic_tool_use_arrives_as_a_function_call_with_its_arguments()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            AnthropicToolUseAsync(context, "toolu_01", "get_weather", "{\"location\": \"San Fra", "ncisco\"}"));
        await using var harness = IntegrationHarness.Create(server.Url);
        var model = harness.Service<ChatProviders>().Resolve("anthropic", null);
        var tool = AIFunctionFactory.CreateDeclaration("get_weather", "The weather at a place.",
            System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}""").RootElement);

        var response = await model.AnswerAsync(
            [new ChatMessage(ChatRole.User, "Weather in SF?")], new ChatOptions { Tools = [tool] }, IntegrationHarness.NewContext(), CancellationToken.None);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("toolu_01", call.CallId);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("San Francisco", call.Arguments!["location"]!.ToString());
        var sent = JsonNode.Parse(Assert.Single(server.Received).Body)!;
        Assert.Equal("get_weather", (string?)sent["tools"]![0]!["name"]);
        Assert.Equal("object", (string?)sent["tools"]![0]!["input_schema"]!["type"]);
    }

    [Fact]
    public async Task The_local_provider_calls_its_own_openai_compatible_server_with_its_default_model()
    {
        await using var server = await FakeServer.StartAsync((_, context) => OpenAIStepTests.StreamAsync(context, "local answer"));
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?> { ["Local:Model"] = "qwen3:8b" });
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("openai", "generate_completion", new JsonObject { ["provider"] = "local", ["prompt"] = "hi" }, context);

        Assert.Equal("local answer", output!.GetValue<string>());
        Assert.Equal(12, context.Usage!.PromptTokens);
        var request = Assert.Single(server.Received);
        Assert.Equal("/local/v1/chat/completions", request.Path);
        Assert.Equal("qwen3:8b", (string?)JsonNode.Parse(request.Body)!["model"]);
        Assert.DoesNotContain(IntegrationHarness.OpenAIKey, request.Header("Authorization") ?? "");
    }

    [Fact]
    public async Task An_unknown_provider_fails_before_anything_is_sent()
    {
        await using var server = await FakeServer.StartAsync((_, context) => OpenAIStepTests.StreamAsync(context, "never"));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["provider"] = "gemini", ["prompt"] = "hi" });

        Assert.Equal("provider 'gemini' is not known; use one of openai, anthropic, local", error.Message);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task Anthropic_answers_follow_an_output_schema_too()
    {
        await using var server = await FakeServer.StartAsync((_, context) => AnthropicStreamAsync(context, "{\"important\": ", "true}"));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("openai", "generate_completion", new JsonObject
        {
            ["provider"] = "anthropic",
            ["prompt"] = "Important?",
            ["output_schema"] = JsonNode.Parse("""{"type":"object","properties":{"important":{"type":"boolean"}},"required":["important"]}"""),
        });

        Assert.True((bool)output!["important"]!);
    }

    [Fact]
    public async Task The_settings_connection_tests_of_anthropic_and_the_local_server_send_their_credentials()
    {
        await using var server = await FakeServer.StartAsync((request, context) => request.Path switch
        {
            "/v1/models" => FakeServer.Json(context, 200, """{"data": [{"type": "model", "id": "claude-sonnet-4-5"}], "has_more": false}"""),
            "/local/v1/models" => FakeServer.Json(context, 200, """{"object": "list", "data": [{"id": "llama3.2", "object": "model"}]}"""),
            _ => FakeServer.Json(context, 404, """{"error": {"message": "no"}}"""),
        });
        await using var harness = IntegrationHarness.Create(server.Url);

        Assert.Null(await harness.Check("anthropic").TestAsync(CancellationToken.None));
        Assert.Null(await harness.Check("local").TestAsync(CancellationToken.None));

        var anthropic = Assert.Single(server.Received, r => r.Path == "/v1/models");
        Assert.Equal(IntegrationHarness.AnthropicKey, anthropic.Header("x-api-key"));
        Assert.Equal("2023-06-01", anthropic.Header("anthropic-version"));
        var local = Assert.Single(server.Received, r => r.Path == "/local/v1/models");
        Assert.Null(local.Header("Authorization"));
    }

    [Fact]
    public async Task A_refused_anthropic_key_is_named_by_the_connection_test()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 401,
            """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"""));
        await using var harness = IntegrationHarness.Create(server.Url);

        var problem = await harness.Check("anthropic").TestAsync(CancellationToken.None);

        Assert.Equal("Anthropic answered 401 Unauthorized: invalid x-api-key (check the Anthropic:ApiKey setting)", problem);
    }
}
