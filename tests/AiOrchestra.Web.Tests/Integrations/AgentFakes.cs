using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Http;
using AiOrchestra.Engine.Steps.Template;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// What the agent tests need of the model providers' wire formats: an OpenAI streamed completion that asks for tools
/// (<c>delta.tool_calls</c> with the arguments in parts, <c>finish_reason: tool_calls</c>), and the offline step types
/// the agents use as tools.
/// </summary>
internal static class AgentFakes
{
    private const string Head = "\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini\"";

    /// <summary>A streamed chat completion asking for tools, as OpenAI documents it: each call's id and name first, then its arguments in pieces.</summary>
    public static async Task OpenAIToolCallsAsync(HttpContext context, params (string Id, string Name, string Arguments)[] calls)
    {
        context.Response.ContentType = "text/event-stream";
        async Task Chunk(string json)
        {
            await context.Response.WriteAsync($"data: {json}\n\n");
            await context.Response.Body.FlushAsync();
        }
        await Chunk($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":null}},\"finish_reason\":null}}]}}");
        for (var i = 0; i < calls.Length; i++)
        {
            var (id, name, arguments) = calls[i];
            await Chunk($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":{i},\"id\":\"{id}\",\"type\":\"function\",\"function\":{{\"name\":\"{name}\",\"arguments\":\"\"}}}}]}},\"finish_reason\":null}}]}}");
            var half = arguments.Length / 2;
            foreach (var part in new[] { arguments[..half], arguments[half..] })
            {
                await Chunk($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":{i},\"function\":{{\"arguments\":{JsonValue.Create(part).ToJsonString()}}}}}]}},\"finish_reason\":null}}]}}");
            }
        }
        await Chunk($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"tool_calls\"}}]}}");
        await Chunk($"{{{Head},\"choices\":[],\"usage\":{{\"prompt_tokens\":30,\"completion_tokens\":10,\"total_tokens\":40}}}}");
        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    /// <summary>The messages of a chat request the fake received (OpenAI's <c>messages</c>, Anthropic's <c>messages</c>).</summary>
    public static JsonArray Messages(RecordedRequest request) => JsonNode.Parse(request.Body)!["messages"]!.AsArray();

    /// <summary>The names of the tools a chat request offered (OpenAI's <c>tools[].function.name</c>, Anthropic's <c>tools[].name</c>).</summary>
    public static List<string> ToolNames(RecordedRequest request) =>
        JsonNode.Parse(request.Body)!["tools"]?.AsArray().Select(t => (string)(t!["function"]?["name"] ?? t["name"])!).ToList() ?? [];

    /// <summary>The offline step types a workflow can give an agent as tools (template; http without the outbound policy, for the fakes on 127.0.0.1).</summary>
    public static void AddToolSteps(IServiceCollection services)
    {
        services.AddSingleton<IStepType, TemplateStep>();
        services.AddSingleton<IStepType>(_ => new HttpStep(new HttpClient()));
    }

    public static bool IsChat(RecordedRequest request) => request.Path.EndsWith("/chat/completions", StringComparison.Ordinal) || request.Path == "/v1/messages";
}
