using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>The run page and its live stream show at most Runs:MaxDisplayedOutputBytes of an output, with a link to the rest.</summary>
public sealed class LargeOutputPageTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    [Fact]
    public async Task A_large_output_is_cut_on_the_page_and_in_the_live_stream_and_its_link_serves_the_whole_to_its_owner_only()
    {
        var name = "olga-" + Guid.NewGuid().ToString("N")[..6];
        var owner = await host.CreateUserAsync(name);
        var intruder = "ivan-" + Guid.NewGuid().ToString("N")[..6];
        await host.CreateUserAsync(intruder);
        var workflow = new Workflow
        {
            WorkflowId = "large_page",
            Steps =
            [
                new WorkflowStep
                {
                    StepId = "grow", StepType = "template", Action = "render",
                    Parameters = new JsonObject { ["text"] = string.Concat(Enumerable.Repeat("{{chunk}}", 10)) + " THE-END" },
                },
            ],
            Variables = new Dictionary<string, JsonNode?> { ["chunk"] = string.Concat(Enumerable.Repeat("lorem ", 1700)) },
        };
        var saved = await host.InScope<WorkflowSaveResult, WorkflowStore>(s => s.SaveAsync(owner, workflow, default));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors));
        var runId = (await host.Services.GetRequiredService<RunQueue>().EnqueueAsync(owner, "large_page", new Dictionary<string, JsonNode?>(), default)).RunId!;
        var client = await host.SignedInAsync(name);

        // the live stream of a finished run replays its steps, then ends
        var live = await client.GetStringAsync($"/runs/{runId}/live");
        var page = await client.GetDocumentAsync($"/Logs/{runId}");

        var row = page.QuerySelector("#step-grow")!;
        Assert.Equal("succeeded", row.GetAttribute("data-status"));
        Assert.DoesNotContain("THE-END", row.TextContent);
        Assert.InRange(row.QuerySelector(".output .markdown")!.TextContent.Length, 60_000, 66_000);
        Assert.Contains("Showing the first 64 KiB of", row.QuerySelector(".truncated")!.TextContent);
        var link = row.QuerySelector(".truncated a")!.GetAttribute("href")!;
        Assert.Equal($"/Logs/{runId}?handler=Output&step=grow", link);
        Assert.DoesNotContain("THE-END", live);
        Assert.Contains("handler=Output&amp;step=grow", live);

        var full = await client.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("text/plain", full.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("lorem  THE-END", await full.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/Logs/{runId}?handler=Output&step=nothing")).StatusCode);
        var other = await host.SignedInAsync(intruder);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(link)).StatusCode);
    }
}
