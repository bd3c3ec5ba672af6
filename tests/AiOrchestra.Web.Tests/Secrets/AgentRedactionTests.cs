using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Integrations;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Secrets;

/// <summary>
/// An agent's conversation is stored note by note (run_step_entries): a configured secret's value that a tool's result
/// or a model's turn echoes is redacted there too, so neither the run page, the replayed events nor a resumed agent see it.
/// </summary>
public sealed class AgentRedactionTests
{
    private const string Redacted = "[redacted: OpenAI:ApiKey]";

    private static string Workflow(string fakeUrl) => new JsonObject
    {
        ["workflow_id"] = "leaky_agent",
        ["name"] = "Leaky agent",
        ["steps"] = new JsonArray(new JsonObject
        {
            ["step_id"] = "ask",
            ["step_type"] = "agent",
            ["action"] = "run",
            ["parameters"] = new JsonObject
            {
                ["instructions"] = "You look things up.",
                ["input"] = "Which key is configured?",
                ["tools"] = new JsonArray(new JsonObject
                {
                    ["name"] = "lookup", ["description"] = "Looks a thing up.", ["step_type"] = "http", ["action"] = "request",
                    ["parameters"] = new JsonObject { ["method"] = "POST", ["url"] = fakeUrl + "/tools/lookup" }, ["arguments"] = new JsonArray("body"),
                }),
            },
        }),
    }.ToJsonString();

    [Fact]
    public async Task A_secret_echoed_by_a_tool_result_or_a_model_turn_is_redacted_in_the_stored_conversation()
    {
        var chats = 0;
        await using var fakes = await FakeServer.StartAsync(async (request, context) =>
        {
            if (request.Path == "/tools/lookup")
            {
                await FakeServer.Json(context, 200, $$"""{"key": "{{IntegrationHarness.OpenAIKey}}"}""");
                return;
            }
            await (Interlocked.Increment(ref chats) switch
            {
                1 => AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "lookup", """{"body": {"what": "key"}}""")),
                _ => OpenAIStepTests.StreamAsync(context, "It is ", IntegrationHarness.OpenAIKey[..9], IntegrationHarness.OpenAIKey[9..], "."),
            });
        });
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?> { ["Outbound:Allow"] = "127.0.0.1", ["Runs:EventRetentionSeconds"] = "0" });
        using var api = await app.AdminAsync();
        Assert.True((await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow(fakes.Url)))).IsSuccessStatusCode);

        var runId = (string)(await IntegrationApp.ExecuteAsync(api, "leaky_agent"))["run_id"]!;

        List<string> stored;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            stored = await scope.ServiceProvider.GetRequiredService<AppDbContext>().RunStepEntries.AsNoTracking()
                .Where(e => e.RunId == runId).OrderBy(e => e.Sequence).Select(e => e.Entry).ToListAsync();
        }
        Assert.Equal(3, stored.Count); // turn, tool call, turn
        Assert.DoesNotContain(stored, entry => entry.Contains(IntegrationHarness.OpenAIKey, StringComparison.Ordinal));
        Assert.Equal(Redacted, (string?)JsonNode.Parse(stored[1])!["result"]!["json"]!["key"]);
        Assert.Equal($"It is {Redacted}.", (string?)JsonNode.Parse(stored[2])!["text"]);

        using var browser = await app.BrowserAsync();
        var page = await browser.GetStringAsync($"/Logs/{runId}");
        Assert.DoesNotContain(IntegrationHarness.OpenAIKey, page);
        Assert.Contains(Redacted, page);
        var events = await api.GetStringAsync($"/api/runs/{runId}/events");
        Assert.DoesNotContain(IntegrationHarness.OpenAIKey, events);
        var run = await api.GetStringAsync($"/api/runs/{runId}");
        Assert.DoesNotContain(IntegrationHarness.OpenAIKey, run);
    }
}
