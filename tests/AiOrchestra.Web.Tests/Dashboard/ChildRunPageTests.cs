using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>A sub-workflow's child run on the run pages: the parent lists it, the child names its parent run and step.</summary>
public sealed class ChildRunPageTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    private const string Child = """
        {"workflow_id": "page_child", "steps": [
          {"step_id": "say", "step_type": "template", "action": "render", "parameters": {"text": "hi {{name}}"}}],
         "variables": {"name": ""}}
        """;

    private const string Parent = """
        {"workflow_id": "page_parent", "steps": [
          {"step_id": "each", "step_type": "workflow", "action": "run", "parameters": {"workflow_id": "page_child", "variables": {"name": "{{item}}"}}, "for_each": "{{names}}"}],
         "variables": {"names": ["a", "b"]}}
        """;

    [Fact]
    public async Task The_parents_page_lists_its_child_runs_and_each_childs_page_links_back_to_the_parent_run_and_step()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);
        var client = await host.SignedInAsync(name);
        foreach (var document in new[] { Child, Parent })
        {
            var saved = await client.PostFormAsync("/Workflows/Edit?handler=Json", new() { ["Json"] = document }, "/Workflows/Edit");
            Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        }
        var run = await client.PostFormAsync("/Execute?workflow=page_parent", new() { ["Inputs[names]"] = "[\"a\", \"b\"]" }, "/Execute?workflow=page_parent");
        Assert.Equal(HttpStatusCode.Redirect, run.StatusCode);
        var runUrl = run.Headers.Location!.OriginalString;
        await client.GetStringAsync(runUrl.Replace("/Logs/", "/runs/") + "/live");

        var parent = await client.GetDocumentAsync(runUrl);

        var children = parent.QuerySelectorAll("#child-runs li");
        Assert.Equal(2, children.Length);
        Assert.Contains("item 0", children[0].TextContent);
        Assert.Contains("succeeded", children[0].TextContent);
        var childUrl = children[1].QuerySelector("a")!.GetAttribute("href")!;
        var child = await client.GetDocumentAsync(childUrl);
        var link = child.QuerySelector("#run-parent")!;
        Assert.Contains("step each (item 1)", string.Join(" ", link.TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(runUrl, link.QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("hi b", child.QuerySelector("#step-say")!.TextContent);
    }
}
