using System.Net;
using AiOrchestra.Web.Runs;
using AngleSharp.Dom;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>
/// "Run again" that the queue refuses (the workflow was deleted, or no longer declares the run's inputs) shows why on
/// the run's page, with status 200 as the other forms: htmx gets the refusal fragment, a plain post the whole page.
/// Nothing is stored.
/// </summary>
public sealed class RerunRefusedTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public RerunRefusedTests(DashboardHost host) => _host = host;

    private static Dictionary<string, string> Workflow(string id, string variable) => new()
    {
        ["Form.WorkflowId"] = id,
        ["Form.Variables"] = $"{{\"{variable}\": \"world\"}}",
        ["Form.Steps[0].StepId"] = "greet",
        ["Form.Steps[0].StepType"] = "template",
        ["Form.Steps[0].Action"] = "render",
        ["Form.Steps[0].Parameters[text]"] = $"Hi {{{{{variable}}}}}",
        ["Command"] = "save",
    };

    /// <summary>A new user, their workflow <paramref name="workflowId"/> (variable <c>who</c>) and one finished run of it.</summary>
    private async Task<(string OwnerId, HttpClient Client, string RunUrl)> RunOnceAsync(string workflowId)
    {
        var name = "rerun-" + Guid.NewGuid().ToString("N")[..8];
        var owner = await _host.CreateUserAsync(name);
        var client = await _host.SignedInAsync(name);
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit", Workflow(workflowId, "who"))).StatusCode);
        var execute = "/Execute?workflow=" + workflowId;
        var run = await client.PostFormAsync(execute, new() { ["Inputs[who]"] = "Ada" }, execute);
        Assert.Equal(HttpStatusCode.Redirect, run.StatusCode);
        var runUrl = run.Headers.Location!.OriginalString;
        await client.GetStringAsync(runUrl.Replace("/Logs/", "/runs/") + "/live");
        return (owner, client, runUrl);
    }

    private Task<int> RunCountAsync(string ownerId) =>
        _host.InScope<int, RunStore>(async store => (await store.ListAsync(ownerId, new RunFilter { Take = 500 }, default)).Runs.Count);

    /// <summary>The refusal as htmx gets it: the fragment alone, to swap in place of the empty one.</summary>
    private static async Task<IElement> RefusedFragmentAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("HX-Request", response.Headers.Vary);
        Assert.False(response.Headers.Contains("HX-Redirect"));
        var html = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("<div id=\"rerun-refused\">", html.TrimStart());
        Assert.DoesNotContain("<html", html);
        return RefusedIn(HtmlClient.Parse(html));
    }

    /// <summary>The refusal as a plain post gets it: the run's whole page with the message under its actions.</summary>
    private static async Task<IElement> RefusedPageAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("HX-Request", response.Headers.Vary);
        Assert.Null(response.Headers.Location);
        var page = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.NotNull(page.QuerySelector("header.top"));
        Assert.NotNull(page.GetElementById("timeline"));
        Assert.Equal("#rerun-refused", page.QuerySelector("form[action$='handler=Rerun']")!.GetAttribute("hx-target"));
        return RefusedIn(page);
    }

    private static IElement RefusedIn(AngleSharp.Html.Dom.IHtmlDocument document)
    {
        var alert = document.QuerySelector("#rerun-refused .errors[role=alert]");
        Assert.NotNull(alert);
        Assert.Contains("The run was not started again.", alert!.TextContent);
        return alert;
    }

    [Fact]
    public async Task Rerun_of_a_run_whose_workflow_was_deleted_says_so_on_the_run_page()
    {
        var (owner, client, runUrl) = await RunOnceAsync("rr_deleted");
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Delete/rr_deleted", [])).StatusCode);
        Assert.Equal(1, await RunCountAsync(owner));

        foreach (var alert in new[]
                 {
                     await RefusedFragmentAsync(await client.PostHtmxAsync(runUrl + "?handler=Rerun", [], runUrl)),
                     await RefusedPageAsync(await client.PostFormAsync(runUrl + "?handler=Rerun", [], runUrl)),
                 })
        {
            Assert.Contains("workflow_id: there is no workflow 'rr_deleted'", alert.QuerySelector("li")!.TextContent);
            Assert.Contains("was deleted after this run", alert.TextContent);
            Assert.NotNull(alert.QuerySelector("a[href='/Execute']"));
            Assert.Null(alert.QuerySelector("a[href^='/Workflows/Edit/']"));
        }
        Assert.Equal(1, await RunCountAsync(owner));
        Assert.Empty((await client.GetDocumentAsync(runUrl)).QuerySelectorAll("#rerun-refused *"));
    }

    [Fact]
    public async Task Rerun_of_a_run_whose_workflow_no_longer_declares_its_input_lists_the_reason_on_the_run_page()
    {
        var (owner, client, runUrl) = await RunOnceAsync("rr_changed");
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit/rr_changed", Workflow("rr_changed", "whom"))).StatusCode);

        foreach (var alert in new[]
                 {
                     await RefusedFragmentAsync(await client.PostHtmxAsync(runUrl + "?handler=Rerun", [], runUrl)),
                     await RefusedPageAsync(await client.PostFormAsync(runUrl + "?handler=Rerun", [], runUrl)),
                 })
        {
            var reason = Assert.Single(alert.QuerySelectorAll("li")).TextContent;
            Assert.StartsWith("variables.who: workflow 'rr_changed' has no variable \"who\"", reason);
            Assert.Contains("its variables are: whom", reason);
            Assert.Contains("the run used v1", alert.TextContent);
            Assert.NotNull(alert.QuerySelector("a[href='/Workflows/Edit/rr_changed']"));
            Assert.NotNull(alert.QuerySelector("a[href='/Execute?workflow=rr_changed']"));
        }
        Assert.Equal(1, await RunCountAsync(owner));
    }
}
