using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>The flow view: drawn on the server as SVG on the workflow's page, and with each step's state on a run's page.</summary>
public sealed class FlowViewTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    private const string Document = """
        {"workflow_id": "flow_view", "steps": [
          {"step_id": "start", "step_type": "template", "action": "render", "parameters": {"text": "go"}},
          {"step_id": "each", "step_type": "template", "action": "render", "parameters": {"text": "{{item}}"}, "for_each": "{{names}}", "depends_on": ["start"]},
          {"step_id": "maybe", "step_type": "template", "action": "render", "parameters": {"text": "x"}, "when": "length(names) > 5", "depends_on": ["start"]},
          {"step_id": "join", "step_type": "template", "action": "render", "parameters": {"text": "{{each_output}}"}, "depends_on": ["each", "maybe"]}],
         "variables": {"names": ["a", "b"]}}
        """;

    private async Task<HttpClient> WithWorkflowAsync()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);
        var client = await host.SignedInAsync(name);
        var saved = await client.PostFormAsync("/Workflows/Edit?handler=Json", new() { ["Json"] = Document }, "/Workflows/Edit");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        return client;
    }

    [Fact]
    public async Task The_workflow_page_draws_a_box_per_step_arrows_from_dependencies_and_condition_and_loop_badges()
    {
        var client = await WithWorkflowAsync();

        var page = await client.GetDocumentAsync("/Workflows/Edit/flow_view");

        var boxes = page.QuerySelectorAll("#flow svg g.flow-step");
        Assert.Equal(["start", "each", "maybe", "join"], boxes.Select(b => b.GetAttribute("data-step")));
        // start -> each, start -> maybe, each -> join, maybe -> join
        Assert.Equal(4, page.QuerySelectorAll("#flow svg path.flow-edge").Length);
        Assert.Contains("↻ each", boxes[1].TextContent);
        Assert.Contains("◇ when", boxes[2].TextContent);
        // the two branches share a column, one above the other; join is in the next column
        var x = boxes.Select(b => int.Parse(b.QuerySelector("rect")!.GetAttribute("x")!)).ToList();
        var y = boxes.Select(b => int.Parse(b.QuerySelector("rect")!.GetAttribute("y")!)).ToList();
        Assert.Equal(x[1], x[2]);
        Assert.True(y[2] > y[1]);
        Assert.True(x[3] > x[1] && x[1] > x[0]);
    }

    [Fact]
    public async Task The_run_page_shows_each_steps_state_skipped_steps_greyed_and_the_loops_item_count()
    {
        var client = await WithWorkflowAsync();
        var run = await client.PostFormAsync("/Execute?workflow=flow_view", new() { ["Inputs[names]"] = "[\"a\", \"b\"]" }, "/Execute?workflow=flow_view");
        Assert.Equal(HttpStatusCode.Redirect, run.StatusCode);
        var runUrl = run.Headers.Location!.OriginalString;
        await client.GetStringAsync(runUrl.Replace("/Logs/", "/runs/") + "/live");

        var page = await client.GetDocumentAsync(runUrl);

        var boxes = page.QuerySelectorAll("#flow svg g.flow-step").ToDictionary(b => b.GetAttribute("data-step")!);
        Assert.Contains("status-succeeded", boxes["start"].ClassName);
        Assert.Contains("status-skipped", boxes["maybe"].ClassName);
        Assert.Contains("2 items", boxes["each"].TextContent);
        Assert.Contains("status-skipped", page.GetElementById("step-maybe")!.ClassName);
    }
}
