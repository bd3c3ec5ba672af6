using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

public sealed class OpenAIStepTests
{
    /// <summary>A streamed chat completion as OpenAI sends it: role chunk, content chunks, finish chunk, usage chunk, [DONE].</summary>
    internal static async Task StreamAsync(HttpContext context, params string[] tokens)
    {
        context.Response.ContentType = "text/event-stream";
        async Task Chunk(string json)
        {
            await context.Response.WriteAsync($"data: {json}\n\n");
            await context.Response.Body.FlushAsync();
        }
        const string head = "\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini\"";
        await Chunk($"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}},\"finish_reason\":null}}]}}");
        foreach (var token in tokens)
        {
            await Chunk($"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{JsonValue.Create(token).ToJsonString()}}},\"finish_reason\":null}}]}}");
        }
        await Chunk($"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}");
        await Chunk($"{{{head},\"choices\":[],\"usage\":{{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}}}");
        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    internal static Task ErrorAsync(HttpContext context, int status, string message, string code, params (string, string)[] headers) =>
        FakeServer.Json(context, status,
            $"{{\"error\":{{\"message\":{JsonValue.Create(message).ToJsonString()},\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"{code}\"}}}}",
            headers);

    [Fact]
    public async Task Generate_completion_streams_the_answer_token_by_token_and_records_usage()
    {
        await using var server = await FakeServer.StartAsync((_, context) => StreamAsync(context, "Hello", ", ", "world"));
        await using var harness = IntegrationHarness.Create(server.Url);
        var deltas = new List<string>();
        var context = IntegrationHarness.NewContext(deltas);

        var output = await harness.RunAsync("openai", "generate_completion", new JsonObject
        {
            ["prompt"] = "Say hello",
            ["system"] = "Be brief.",
            ["model"] = "gpt-4.1-mini",
            ["temperature"] = 0.2,
            ["max_tokens"] = 50,
        }, context);

        Assert.Equal("Hello, world", output!.GetValue<string>());
        Assert.Equal(["Hello", ", ", "world"], deltas);
        Assert.Equal(12, context.Usage!.PromptTokens);
        Assert.Equal(3, context.Usage.CompletionTokens);
        Assert.Equal(1, context.HttpAttempts);

        var request = Assert.Single(server.Received);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal($"Bearer {IntegrationHarness.OpenAIKey}", request.Header("Authorization"));
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("gpt-4.1-mini", (string?)body["model"]);
        Assert.True((bool)body["stream"]!);
        Assert.True((bool)body["stream_options"]!["include_usage"]!);
        Assert.Equal(0.2, (double)body["temperature"]!, 3);
        Assert.Equal(50, (int)(body["max_completion_tokens"] ?? body["max_tokens"])!);
        Assert.Equal("system", (string?)body["messages"]![0]!["role"]);
        Assert.Equal("Be brief.", (string?)body["messages"]![0]!["content"]);
        Assert.Equal("user", (string?)body["messages"]![1]!["role"]);
        Assert.Equal("Say hello", (string?)body["messages"]![1]!["content"]);
    }

    [Fact]
    public async Task Chat_completion_sends_the_conversation_with_the_configured_model()
    {
        await using var server = await FakeServer.StartAsync((_, context) => StreamAsync(context, "Paris"));
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?> { ["OpenAI:Model"] = "local-llama" });

        var output = await harness.RunAsync("openai", "chat_completion", new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "Capital of France?" },
                new JsonObject { ["role"] = "assistant", ["content"] = "Which France?" },
                new JsonObject { ["role"] = "user", ["content"] = "The country." }),
        });

        Assert.Equal("Paris", output!.GetValue<string>());
        var body = JsonNode.Parse(Assert.Single(server.Received).Body)!;
        Assert.Equal("local-llama", (string?)body["model"]);
        var messages = body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => (string?)m!["role"]));
        Assert.Equal("Which France?", (string?)messages[1]!["content"]);
    }

    [Fact]
    public async Task Summarize_sends_the_instructions_and_the_text()
    {
        await using var server = await FakeServer.StartAsync((_, context) => StreamAsync(context, "Short."));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("openai", "summarize", new JsonObject
        {
            ["text"] = "A very long report about quarterly numbers.",
            ["instructions"] = "One sentence, for executives.",
        });

        Assert.Equal("Short.", output!.GetValue<string>());
        var user = JsonNode.Parse(Assert.Single(server.Received).Body)!["messages"]!.AsArray().Last()!["content"]!.GetValue<string>();
        Assert.Contains("One sentence, for executives.", user);
        Assert.Contains("A very long report about quarterly numbers.", user);
    }

    [Fact]
    public async Task A_stored_prompt_template_of_the_runs_owner_is_rendered_as_the_prompt()
    {
        await using var server = await FakeServer.StartAsync((_, context) => StreamAsync(context, "ok"));
        await using var harness = IntegrationHarness.Create(server.Url);
        harness.Prompts.Add("owner-1", new PromptTemplate { TemplateId = "sop", Template = "Write an SOP about {{topic}} for {{audience}}." });
        harness.Prompts.Add("someone-else", new PromptTemplate { TemplateId = "private", Template = "not yours" });

        await harness.RunAsync("openai", "generate_completion", new JsonObject
        {
            ["template_id"] = "sop",
            ["variables"] = new JsonObject { ["topic"] = "backups", ["audience"] = "new hires" },
        });
        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["template_id"] = "private" });

        var user = JsonNode.Parse(Assert.Single(server.Received).Body)!["messages"]!.AsArray().Last()!["content"]!.GetValue<string>();
        Assert.Equal("Write an SOP about backups for new hires.", user);
        Assert.Contains("there is no prompt template 'private'", error.Message);
    }

    [Fact]
    public async Task A_stored_prompt_is_loaded_once_per_call_so_a_save_meanwhile_cannot_mix_two_versions()
    {
        await using var server = await FakeServer.StartAsync((_, context) => StreamAsync(context, "ok"));
        await using var harness = IntegrationHarness.Create(server.Url);
        harness.Prompts.Add("owner-1", new PromptTemplate { TemplateId = "brief", SystemPrompt = "System v1", Template = "User v1", Version = 1 });
        var loads = 0;
        // version 2 is saved right after each load: a second load within the call would read it
        harness.Prompts.AfterFind = (owner, id) =>
        {
            loads++;
            harness.Prompts.Add(owner, new PromptTemplate { TemplateId = id, SystemPrompt = "System v2", Template = "User v2", Version = 2 });
        };
        var context = IntegrationHarness.NewContext();

        await harness.RunAsync("openai", "generate_completion", new JsonObject { ["template_id"] = "brief" }, context);

        var messages = JsonNode.Parse(Assert.Single(server.Received).Body)!["messages"]!.AsArray();
        Assert.Equal(["System v1", "User v1"], messages.Select(m => m!["content"]!.GetValue<string>()));
        Assert.Equal(1, loads);
        Assert.Equal(new Engine.Execution.PromptUse("brief", 1), Assert.Single(context.Ledger!.Prompts));
    }

    [Fact]
    public async Task A_missing_api_key_fails_before_calling_anything_and_names_the_setting()
    {
        await using var server = await FakeServer.StartAsync((_, context) => StreamAsync(context, "never"));
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?> { ["OpenAI:ApiKey"] = null });

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "hi" });

        Assert.Equal("OpenAI:ApiKey is not set: set the environment variable OpenAI__ApiKey or save it on the Settings page", error.Message);
        Assert.False(error.Transient);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task A_401_fails_at_once_with_the_providers_message_and_without_the_key()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            ErrorAsync(context, 401, $"Incorrect API key provided: {IntegrationHarness.OpenAIKey}.", "invalid_api_key"));
        await using var harness = IntegrationHarness.Create(server.Url);
        var context = IntegrationHarness.NewContext();

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "hi" }, context);

        Assert.StartsWith("OpenAI answered 401", error.Message);
        Assert.Contains("Incorrect API key provided", error.Message);
        Assert.Contains("OpenAI:ApiKey", error.Message);
        Assert.DoesNotContain(IntegrationHarness.OpenAIKey, error.Message);
        Assert.False(error.Transient);
        Assert.Single(server.Received);
        Assert.Equal(1, context.HttpAttempts);
    }

    [Fact]
    public async Task A_404_for_an_unknown_model_is_permanent()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            ErrorAsync(context, 404, "The model `gpt-9` does not exist or you do not have access to it.", "model_not_found"));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "hi", ["model"] = "gpt-9" });

        Assert.Equal("OpenAI answered 404 Not Found: The model `gpt-9` does not exist or you do not have access to it.", error.Message);
        Assert.False(error.Transient);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task A_429_is_retried_after_the_servers_Retry_After_and_then_succeeds()
    {
        var calls = 0;
        await using var server = await FakeServer.StartAsync((_, context) =>
            Interlocked.Increment(ref calls) == 1
                ? ErrorAsync(context, 429, "Rate limit reached", "rate_limit_exceeded", ("Retry-After", "0"))
                : StreamAsync(context, "done"));
        // The backoff alone would wait ten minutes and hit the 20 s total limit: finishing proves Retry-After was used.
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?>
        {
            ["OpenAI:Resilience:Retry:Delay"] = "00:10:00",
            ["OpenAI:Resilience:AttemptTimeout:Timeout"] = "00:00:10",
            ["OpenAI:Resilience:TotalRequestTimeout:Timeout"] = "00:00:20",
        });
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "hi" }, context);

        Assert.Equal("done", output!.GetValue<string>());
        Assert.Equal(2, server.Received.Count);
        Assert.Equal(2, context.HttpAttempts);
    }

    [Fact]
    public async Task A_500_is_retried_then_fails_as_transient_with_the_attempts_recorded()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            ErrorAsync(context, 500, "The server had an error while processing your request.", "server_error"));
        await using var harness = IntegrationHarness.Create(server.Url);
        var context = IntegrationHarness.NewContext();

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "hi" }, context);

        Assert.Equal("OpenAI answered 500 Internal Server Error: The server had an error while processing your request. (after 3 HTTP requests)", error.Message);
        Assert.True(error.Transient);
        Assert.Equal(3, server.Received.Count);
        Assert.Equal(3, context.HttpAttempts);
    }

    [Fact]
    public async Task A_malformed_stream_fails_with_a_clear_error()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            FakeServer.Text(context, 200, "data: {\"id\": \"chatcmpl-1\", \"choices\": [\n\n", "text/event-stream"));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "hi" });

        Assert.StartsWith("OpenAI sent a response that could not be read as JSON", error.Message);
        Assert.False(error.Transient);
    }

    /// <summary>A server that ignores <c>"stream": true</c> and answers one chat completion as JSON.</summary>
    private static Task PlainCompletionAsync(HttpContext context, string? content) =>
        FakeServer.Json(context, 200, $$$"""
            {"id":"chatcmpl-2","object":"chat.completion","created":1730000000,"model":"gpt-4o-mini",
             "choices":[{"index":0,"message":{"role":"assistant","content":{{{(content is null ? "null" : JsonValue.Create(content).ToJsonString())}}}},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}
            """);

    [Fact]
    public async Task A_server_that_ignores_stream_and_answers_one_JSON_completion_gives_its_answer_and_usage()
    {
        await using var server = await FakeServer.StartAsync((_, context) => PlainCompletionAsync(context, "Inbox digest, Monday"));
        await using var harness = IntegrationHarness.Create(server.Url);
        var deltas = new List<string>();
        var context = IntegrationHarness.NewContext(deltas);

        var output = await harness.RunAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "Title?" }, context);

        Assert.Equal("Inbox digest, Monday", output!.GetValue<string>());
        Assert.Equal(["Inbox digest, Monday"], deltas);
        Assert.Equal(9, context.Usage!.PromptTokens);
        Assert.Equal(4, context.Usage.CompletionTokens);
        Assert.True((bool)JsonNode.Parse(Assert.Single(server.Received).Body)!["stream"]!);
    }

    [Fact]
    public async Task A_JSON_completion_without_content_is_a_step_error_that_says_what_came_back()
    {
        await using var server = await FakeServer.StartAsync((_, context) => PlainCompletionAsync(context, null));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "Title?" });

        Assert.StartsWith("OpenAI answered without any content", error.Message);
        Assert.Contains("\"content\":null", error.Message);
        Assert.False(error.Transient);
    }

    [Fact]
    public async Task A_stream_without_any_content_is_a_step_error()
    {
        await using var server = await FakeServer.StartAsync((_, context) => StreamAsync(context));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "Title?" });

        Assert.Equal("OpenAI's streamed answer had no content: 3 chunk(s), ended with finish reason 'stop'", error.Message);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_transient_failure()
    {
        string url;
        await using (var stopped = await FakeServer.StartAsync((_, context) => StreamAsync(context)))
        {
            url = stopped.Url;
        }
        await using var harness = IntegrationHarness.Create(url);

        var error = await harness.FailAsync("openai", "generate_completion", new JsonObject { ["prompt"] = "hi" });

        Assert.StartsWith("could not reach OpenAI", error.Message);
        Assert.True(error.Transient);
    }
}
