using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>The event stream leaves out an output over Runs:MaxDisplayedOutputBytes and links to the full value.</summary>
public sealed class LargeOutputTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    // about 100 KB of output, over the 64 KiB shown by default; the marker is at its very end
    private static readonly string Workflow = new JsonObject
    {
        ["workflow_id"] = "large_output",
        ["steps"] = new JsonArray(
            new JsonObject
            {
                ["step_id"] = "grow", ["step_type"] = "template", ["action"] = "render",
                ["parameters"] = new JsonObject { ["text"] = string.Concat(Enumerable.Repeat("{{chunk}}", 10)) + " THE-END" },
            },
            new JsonObject
            {
                ["step_id"] = "small", ["step_type"] = "template", ["action"] = "render",
                ["parameters"] = new JsonObject { ["text"] = "short" },
            }),
        ["variables"] = new JsonObject { ["chunk"] = string.Concat(Enumerable.Repeat("lorem ", 1700)) },
    }.ToJsonString();

    [Fact]
    public async Task A_large_output_is_left_out_of_the_events_with_its_size_and_a_link_that_serves_it_to_its_owner_only()
    {
        using var client = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Workflow))).StatusCode);
        var run = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "large_output" })).JsonAsync();
        var runId = run["run_id"]!.GetValue<string>();

        var finished = (await ReadEventsAsync(client, runId)).Where(e => e["step_id"] is not null && e["status"]!.GetValue<string>() == "succeeded").ToList();

        var large = finished.Single(e => e["step_id"]!.GetValue<string>() == "grow");
        Assert.Null(large["output"]);
        Assert.InRange(large["output_bytes"]!.GetValue<long>(), 100_000, 110_000);
        var url = large["output_url"]!.GetValue<string>();
        Assert.Equal($"/api/runs/{runId}/steps/grow/output", url);
        var small = finished.Single(e => e["step_id"]!.GetValue<string>() == "small");
        Assert.Equal("short", small["output"]!.GetValue<string>());
        Assert.False(small.AsObject().ContainsKey("output_url"));

        var full = await (await client.GetAsync(url)).JsonAsync();
        Assert.EndsWith("lorem  THE-END", full.GetValue<string>());

        using var other = await app.NewUserAsync("other-" + Guid.NewGuid().ToString("N")[..6]);
        await (await other.GetAsync(url)).ProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync($"/api/runs/{runId}/steps/nothing/output")).ProblemAsync(HttpStatusCode.NotFound);
    }

    private static async Task<List<JsonNode>> ReadEventsAsync(HttpClient client, string runId)
    {
        using var response = await client.GetAsync($"/api/runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead);
        var events = new List<JsonNode>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            events.Add(JsonNode.Parse(item.Data)!);
        }
        return events;
    }
}
