using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>Logs names each run by its workflow, status, origin, start and duration, and filters by origin.</summary>
public sealed class LogsTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    [Fact]
    public async Task Each_run_is_a_row_with_the_workflow_name_status_origin_and_start_linking_to_the_run_and_origin_filters()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var owner = await host.CreateUserAsync(user);
        var client = await host.SignedInAsync(user);
        var saved = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "digest",
            ["Form.Name"] = "Weekly digest",
            ["Form.Variables"] = "{}",
            ["Form.Steps[0].StepId"] = "say",
            ["Form.Steps[0].StepType"] = "template",
            ["Form.Steps[0].Action"] = "render",
            ["Form.Steps[0].Parameters[text]"] = "hello",
            ["Command"] = "save",
        });
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var queue = host.Services.GetRequiredService<RunQueue>();
        var ids = new List<string>();
        foreach (var origin in new[] { RunOrigin.Manual, RunOrigin.Api, RunOrigin.Webhook("push") })
        {
            var queued = await queue.EnqueueAsync(owner, "digest", new Dictionary<string, JsonNode?>(), origin, CancellationToken.None);
            ids.Add(queued.RunId!);
        }

        var all = await client.GetDocumentAsync("/Logs");
        var rows = all.QuerySelectorAll("table.runs tbody tr");
        Assert.Equal(3, rows.Length);
        Assert.All(rows, row => Assert.Equal("Weekly digest", row.QuerySelector("td[data-label=Workflow] a")!.TextContent));
        Assert.Equal(ids.Select(id => "/Logs/" + id).Order(), rows.Select(r => r.QuerySelector("a")!.GetAttribute("href")!).Order());
        Assert.Equal(["api", "manual", "webhook:push"], rows.Select(r => r.QuerySelector("td[data-label=Origin]")!.TextContent).Order());
        Assert.All(rows, row => Assert.NotNull(row.QuerySelector("td[data-label=Status] .badge")));
        Assert.All(rows, row => Assert.NotNull(row.QuerySelector("td[data-label=Started] time[datetime]")));
        Assert.NotNull(all.QuerySelector("#f-origin option[value=webhook]"));
        Assert.NotNull(all.QuerySelector("#f-origin option[value=import]"));

        var webhooks = (await client.GetDocumentAsync("/Logs?origin=webhook")).QuerySelectorAll("table.runs tbody tr");
        var fromApi = (await client.GetDocumentAsync("/Logs?origin=api")).QuerySelectorAll("table.runs tbody tr");

        Assert.Equal("webhook:push", Assert.Single(webhooks).QuerySelector("td[data-label=Origin]")!.TextContent);
        Assert.Equal("/Logs/" + ids[1], Assert.Single(fromApi).QuerySelector("a")!.GetAttribute("href"));

        // the run page's duration bars come with their key
        await client.GetStringAsync($"/runs/{ids[0]}/live");
        var run = await client.GetDocumentAsync("/Logs/" + ids[0]);
        Assert.Equal(["0", "10 ms", "100 ms", "1 s", "10 s", "100 s+"], run.QuerySelectorAll("#bar-legend .bar-scale li").Select(li => li.TextContent));
        Assert.NotNull(run.QuerySelector("#step-say svg.bar rect[width]"));
    }

    [Fact]
    public async Task Older_pages_follow_a_cursor_and_list_each_run_once()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var owner = await host.CreateUserAsync(user);
        var client = await host.SignedInAsync(user);
        var saved = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "many", ["Form.Name"] = "Many", ["Form.Variables"] = "{}", ["Form.Steps[0].StepId"] = "say",
            ["Form.Steps[0].StepType"] = "template", ["Form.Steps[0].Action"] = "render", ["Form.Steps[0].Parameters[text]"] = "hello",
            ["Command"] = "save",
        });
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var queue = host.Services.GetRequiredService<RunQueue>();
        var total = Pages.Logs.IndexModel.PageSize + 7;
        for (var i = 0; i < total; i++)
        {
            await queue.EnqueueAsync(owner, "many", new Dictionary<string, JsonNode?>(), RunOrigin.Api, CancellationToken.None);
        }

        var first = await client.GetDocumentAsync("/Logs");
        var older = first.QuerySelector("nav.pager a[rel=next]")!.GetAttribute("href")!;
        Assert.Contains("before=", older);
        var second = await client.GetDocumentAsync(older);

        static List<string> Links(AngleSharp.Html.Dom.IHtmlDocument page) =>
            page.QuerySelectorAll("table.runs tbody tr a[href^='/Logs/']").Select(a => a.GetAttribute("href")!).Distinct().ToList();
        var one = Links(first);
        var two = Links(second);
        Assert.Equal(Pages.Logs.IndexModel.PageSize, one.Count);
        Assert.Equal(7, two.Count);
        Assert.Empty(one.Intersect(two));
        Assert.Null(second.QuerySelector("nav.pager a[rel=next]"));
    }

    [Fact]
    public async Task Newer_pages_follow_a_cursor_too_and_runs_arriving_meanwhile_shift_no_page()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        var owner = await host.CreateUserAsync(user);
        var client = await host.SignedInAsync(user);
        var saved = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "paged", ["Form.Name"] = "Paged", ["Form.Variables"] = "{}", ["Form.Steps[0].StepId"] = "say",
            ["Form.Steps[0].StepType"] = "template", ["Form.Steps[0].Action"] = "render", ["Form.Steps[0].Parameters[text]"] = "hello",
            ["Command"] = "save",
        });
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var queue = host.Services.GetRequiredService<RunQueue>();
        async Task EnqueueAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await queue.EnqueueAsync(owner, "paged", new Dictionary<string, JsonNode?>(), RunOrigin.Api, CancellationToken.None);
            }
        }
        static List<string> Links(AngleSharp.Html.Dom.IHtmlDocument page) =>
            page.QuerySelectorAll("table.runs tbody tr a[href^='/Logs/']").Select(a => a.GetAttribute("href")!).Distinct().ToList();
        static string? Pager(AngleSharp.Html.Dom.IHtmlDocument page, string rel) => page.QuerySelector($"nav.pager a[rel={rel}]")?.GetAttribute("href");
        var size = Pages.Logs.IndexModel.PageSize;
        await EnqueueAsync(2 * size + 7);

        var first = await client.GetDocumentAsync("/Logs?workflow=paged");
        Assert.Null(Pager(first, "prev"));
        var second = await client.GetDocumentAsync(Pager(first, "next")!);
        var third = await client.GetDocumentAsync(Pager(second, "next")!);
        Assert.Equal(7, Links(third).Count);
        Assert.Null(Pager(third, "next"));

        // the way back carries a cursor and the filter, never a page number
        var back = Pager(third, "prev")!;
        Assert.Contains("after=", back);
        Assert.Contains("workflow=paged", back);
        Assert.DoesNotContain("page=", back);
        Assert.Equal(Links(second), Links(await client.GetDocumentAsync(back)));

        // runs started while someone reads page two: Newer shows the page just above it, not page one shifted by them
        await EnqueueAsync(3);
        var aboveSecond = await client.GetDocumentAsync(Pager(second, "prev")!);
        Assert.Equal(Links(first), Links(aboveSecond));
        var top = await client.GetDocumentAsync(Pager(aboveSecond, "prev")!);
        Assert.Equal(size, Links(top).Count);
        Assert.Equal(Links(first)[..(size - 3)], Links(top)[3..]);
        Assert.Null(Pager(top, "prev"));
    }
}
