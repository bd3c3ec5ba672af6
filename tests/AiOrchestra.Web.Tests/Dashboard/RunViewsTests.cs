using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Api.Runs;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>
/// The run page and its live stream draw a step from the same record with the same partial: a live page looks the
/// same as the page reloaded, and the API and the exported log tell the same story.
/// </summary>
public sealed class RunViewsTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    [Fact]
    public async Task The_run_page_and_its_live_stream_draw_every_step_and_the_status_with_identical_markup()
    {
        var name = "vera-" + Guid.NewGuid().ToString("N")[..6];
        var owner = await host.CreateUserAsync(name);
        var workflow = new Workflow
        {
            WorkflowId = "three_views",
            Steps =
            [
                new WorkflowStep
                {
                    StepId = "greet", StepType = "template", Action = "render",
                    Parameters = new JsonObject { ["text"] = "**Hello** <b>{{who}}</b> & [docs](https://example.com)" },
                },
                new WorkflowStep
                {
                    // refused by the outbound policy: a failed step with an error, and the run goes on
                    StepId = "call", StepType = "http", Action = "request", OnError = OnError.Continue,
                    Parameters = new JsonObject { ["method"] = "GET", ["url"] = "http://127.0.0.1:9/" },
                },
                new WorkflowStep
                {
                    StepId = "never", StepType = "template", Action = "render", When = "{{who}} == 'nobody'",
                    Parameters = new JsonObject { ["text"] = "skipped" },
                },
            ],
            Variables = new Dictionary<string, JsonNode?> { ["who"] = "Ada \"Lovelace\"" },
        };
        var saved = await host.InScope<WorkflowSaveResult, WorkflowStore>(s => s.SaveAsync(owner, workflow, default));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors));
        var runId = (await host.Services.GetRequiredService<RunQueue>().EnqueueAsync(owner, "three_views", new Dictionary<string, JsonNode?>(), default)).RunId!;
        var client = await host.SignedInAsync(name);

        // the stream of a finished run replays it from the store, as a page that reconnects gets it
        var live = Swapped(await client.GetStringAsync(RunPageNames.LiveUrl(runId)));
        var page = await client.GetDocumentAsync(RunPageNames.Url(runId));

        foreach (var (stepId, status) in new[] { ("greet", "succeeded"), ("call", "failed"), ("never", "skipped") })
        {
            var id = RunPageNames.Ids.Step(stepId);
            var row = page.GetElementById(id)!;
            Assert.Equal(status, row.GetAttribute("data-status"));
            Assert.Equal(row.OuterHtml, live[id]);
        }
        Assert.Contains("<strong>Hello</strong>", page.GetElementById(RunPageNames.Ids.Step("greet"))!.InnerHtml);
        Assert.NotEmpty(page.GetElementById(RunPageNames.Ids.Step("call"))!.QuerySelector("p.error")!.TextContent);
        Assert.Equal(page.GetElementById(RunPageNames.Ids.Status)!.OuterHtml, live[RunPageNames.Ids.Status]);

        // the API's steps and the exported log are made from the same record
        var details = await host.InScope<RunDetails?, RunStore>(s => s.GetAsync(owner, runId, default));
        var api = RunJson.Detail(details!, []).Steps;
        var log = RunLog.Export(details!)["steps"]!.AsArray();
        Assert.Equal(["succeeded", "failed", "skipped"], api.Select(s => s.Status));
        Assert.Equal(["success", "failed", "skipped"], log.Select(s => (string)s!["status"]!));
        Assert.Equal(api.Select(s => s.Error), log.Select(s => (string?)s!["error"]));
        Assert.Equal(api.Select(s => s.Output?.ToJsonString()), log.Select(s => s!["output"]?.ToJsonString()));
    }

    [Fact]
    public async Task A_step_state_sent_as_a_live_event_draws_the_row_the_page_draws()
    {
        var step = new StepState("run-1", "ask", 2, "failed")
        {
            Attempts = 3, DurationMs = 1234, Error = "The server said 500 <twice>.", PromptTokens = 10, CompletionTokens = 5,
            Output = new JsonObject { ["partial"] = "a < b" },
            StartedAt = DateTimeOffset.UnixEpoch, FinishedAt = DateTimeOffset.UnixEpoch.AddSeconds(1),
        };
        var running = new StepState("run-1", "ask", 2, "running") { Attempts = 1, StartedAt = DateTimeOffset.UnixEpoch };

        foreach (var (state, type) in new[] { (step, RunEvent.StepFinished), (running, RunEvent.StepStarted) })
        {
            var onPage = await host.RenderPartialAsync("/Pages/Logs/_StepRow.cshtml", new StepRow(state));
            var item = RunEvent.ForStep(type, state, (state.FinishedAt ?? state.StartedAt)!.Value, sequence: 7);
            var inStream = await host.RenderPartialAsync(RunStream.EventPartial, new LiveEvent(item, StepState.From(item), null, null));

            var swapped = new Dictionary<string, string>(StringComparer.Ordinal);
            Swap(inStream, swapped);
            Assert.Equal(Row(onPage, state.StepId), swapped[RunPageNames.Ids.Step(state.StepId)]);
        }
        var finished = HtmlClient.Parse(await host.RenderPartialAsync("/Pages/Logs/_StepRow.cshtml", new StepRow(step)));
        Assert.Equal("3 attempts · 1.2 s · 15 tokens", finished.QuerySelector(".meta")!.TextContent);
        Assert.Equal("The server said 500 <twice>.", finished.QuerySelector("p.error")!.TextContent);
    }

    private static string Row(string html, string stepId) => HtmlClient.Parse(html).GetElementById(RunPageNames.Ids.Step(stepId))!.OuterHtml;

    /// <summary>
    /// What the page looks like after the stream's out-of-band swaps: the last markup sent for each element id,
    /// without the swap attribute the page's own markup does not carry.
    /// </summary>
    private static Dictionary<string, string> Swapped(string stream)
    {
        var swapped = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var message in stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = message.Split('\n');
            if (lines.Any(l => l.StartsWith("event:", StringComparison.Ordinal)))
            {
                continue;
            }
            Swap(string.Join("\n", lines.Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l.Length > 5 && l[5] == ' ' ? l[6..] : l[5..])), swapped);
        }
        return swapped;
    }

    private static void Swap(string fragment, Dictionary<string, string> swapped)
    {
        var body = HtmlClient.Parse("<body>" + fragment + "</body>").Body!;
        foreach (var element in body.Children.Where(e => e.GetAttribute("hx-swap-oob") == "true"))
        {
            element.RemoveAttribute("hx-swap-oob");
            swapped[element.Id!] = element.OuterHtml;
        }
    }
}
