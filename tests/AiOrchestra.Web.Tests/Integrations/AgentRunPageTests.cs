using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// An agent step in a stored workflow run by the app: its turns and tool calls reach the API's event stream and the run
/// page's live stream while it runs, are stored, and the run page shows the conversation.
/// </summary>
public sealed class AgentRunPageTests
{
    private static string Workflow(string fakeUrl) => new JsonObject
    {
        ["workflow_id"] = "weather_agent",
        ["name"] = "Weather agent",
        ["steps"] = new JsonArray(new JsonObject
        {
            ["step_id"] = "ask",
            ["step_type"] = "agent",
            ["action"] = "run",
            ["parameters"] = new JsonObject
            {
                ["instructions"] = "You answer questions about the weather.",
                ["input"] = "{{question}}",
                ["tools"] = new JsonArray(
                    new JsonObject
                    {
                        ["name"] = "weather", ["description"] = "Today's weather of a city.", ["step_type"] = "http", ["action"] = "request",
                        ["parameters"] = new JsonObject { ["method"] = "POST", ["url"] = fakeUrl + "/tools/weather" }, ["arguments"] = new JsonArray("body"),
                    },
                    new JsonObject
                    {
                        ["name"] = "forecast", ["description"] = "Tomorrow's weather of a city.", ["step_type"] = "http", ["action"] = "request",
                        ["parameters"] = new JsonObject { ["method"] = "POST", ["url"] = fakeUrl + "/tools/forecast" }, ["arguments"] = new JsonArray("body"),
                    }),
            },
        }),
        ["variables"] = new JsonObject { ["question"] = "Weather in Paris, today and tomorrow?" },
    }.ToJsonString();

    [Fact]
    public async Task The_run_page_shows_each_turn_and_tool_call_live_and_after_a_reload()
    {
        var chats = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fakes = await FakeServer.StartAsync(async (request, context) =>
        {
            switch (request.Path)
            {
                case "/tools/weather":
                    await FakeServer.Json(context, 200, """{"temp": 21}""");
                    return;
                case "/tools/forecast":
                    // held until the test has seen the first turn and tool call arrive live
                    await gate.Task.WaitAsync(context.RequestAborted);
                    await FakeServer.Json(context, 200, """{"tomorrow": "rain"}""");
                    return;
            }
            await (Interlocked.Increment(ref chats) switch
            {
                1 => AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "weather", """{"body": {"city": "Paris"}}""")),
                2 => AgentFakes.OpenAIToolCallsAsync(context, ("call_2", "forecast", """{"body": {"city": "Paris"}}""")),
                _ => OpenAIStepTests.StreamAsync(context, "Paris: 21 °C today, ", "rain tomorrow."),
            });
        });
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?>
        {
            ["Outbound:Allow"] = "127.0.0.1",
            // a finished run's events are rebuilt from the store at once, entries included
            ["Runs:EventRetentionSeconds"] = "0",
        });
        using var api = await app.AdminAsync();
        using var browser = await app.BrowserAsync();
        try
        {
            var created = await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow(fakes.Url)));
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var queued = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "weather_agent", wait = false });
            Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
            var runId = (string)(await queued.JsonAsync())["run_id"]!;

            // the page opened while the agent works has the list the live stream appends to
            var early = new HtmlParser().ParseDocument(await browser.GetStringAsync($"/Logs/{runId}"));
            Assert.NotNull(early.QuerySelector("#conversation-ask-entries"));

            await using var apiEvents = IntegrationApp.EventsAsync(api, $"/api/runs/{runId}/events").GetAsyncEnumerator();
            await using var liveView = IntegrationApp.EventsAsync(browser, $"/runs/{runId}/live").GetAsyncEnumerator();
            var apiSoFar = await ReadUntilAsync(apiEvents, e => e.EventType == "step-entry" && e.Data.Contains("\"kind\":\"tool\"", StringComparison.Ordinal));
            var toolEvent = JsonNode.Parse(apiSoFar[^1].Data)!;
            Assert.Equal("ask", (string?)toolEvent["step_id"]);
            Assert.Equal("weather", (string?)toolEvent["entry"]!["name"]);
            Assert.Equal(21, (int)toolEvent["entry"]!["result"]!["json"]!["temp"]!);
            Assert.Contains(apiSoFar, e => e.EventType == "step-entry" && e.Data.Contains("\"kind\":\"turn\"", StringComparison.Ordinal));

            var liveSoFar = await ReadUntilAsync(liveView, e => e.Data.Contains("data-tool=\"weather\"", StringComparison.Ordinal));
            Assert.StartsWith("<div hx-swap-oob=\"beforeend:#conversation-ask-entries\">", liveSoFar[^1].Data);
            Assert.Contains(liveSoFar, e => e.Data.Contains("data-kind=\"turn\"", StringComparison.Ordinal) && e.Data.Contains("<code>weather</code>", StringComparison.Ordinal));
            Assert.DoesNotContain(liveSoFar, e => e.EventType == "done");

            gate.SetResult();
            await ReadUntilAsync(liveView, e => e.EventType == "done");

            var page = new HtmlParser().ParseDocument(await browser.GetStringAsync($"/Logs/{runId}"));
            var entries = page.QuerySelectorAll("#conversation-ask-entries > li");
            Assert.Equal(["turn", "tool", "turn", "tool", "turn"], entries.Select(e => e.GetAttribute("data-kind")));
            Assert.Equal(["weather", "forecast"], entries.Where(e => e.GetAttribute("data-kind") == "tool").Select(e => e.GetAttribute("data-tool")));
            Assert.Contains("\"city\": \"Paris\"", entries[1].QuerySelector("pre")!.TextContent);
            Assert.Contains("rain", entries[3].TextContent);
            Assert.Contains("Paris: 21 °C today, rain tomorrow.", entries[4].TextContent);
            // the step's output is the answer with the loop's figures
            var run = await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
            Assert.Equal("succeeded", (string?)run["status"]);
            Assert.Equal(3, (int)run["outputs"]!["ask"]!["turns"]!);
            Assert.Equal(2, (int)run["outputs"]!["ask"]!["tool_calls"]!);

            // the finished run's event stream, rebuilt from the stored rows, has the conversation in order
            var replayed = new List<SseItem<string>>();
            await foreach (var item in IntegrationApp.EventsAsync(api, $"/api/runs/{runId}/events"))
            {
                replayed.Add(item);
            }
            Assert.Equal(["turn", "tool", "turn", "tool", "turn"],
                replayed.Where(e => e.EventType == "step-entry").Select(e => (string?)JsonNode.Parse(e.Data)!["entry"]!["kind"]));
        }
        finally
        {
            gate.TrySetResult();
        }
    }

    private static async Task<List<SseItem<string>>> ReadUntilAsync(IAsyncEnumerator<SseItem<string>> events, Func<SseItem<string>, bool> stop)
    {
        var read = new List<SseItem<string>>();
        while (await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)))
        {
            read.Add(events.Current);
            if (stop(events.Current))
            {
                return read;
            }
        }
        Assert.Fail("the stream ended early: " + string.Join(" | ", read.Select(e => $"{e.EventType}: {e.Data}")));
        return read;
    }
}
