using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>Home's figures and chart, counted in SQL, match the runs made.</summary>
public sealed class HomeTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public HomeTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task Today_bar_and_the_figures_count_the_runs_made()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await _host.CreateUserAsync(name);
        var client = await _host.SignedInAsync(name);
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "counted", ["Form.Name"] = "Counted", ["Form.Steps[0].StepId"] = "greet", ["Form.Steps[0].StepType"] = "template",
            ["Form.Steps[0].Action"] = "render", ["Form.Steps[0].Parameters[text]"] = "Hi", ["Command"] = "save",
        })).StatusCode);
        for (var i = 0; i < 2; i++)
        {
            var run = await client.PostFormAsync("/Execute?workflow=counted", [], "/Execute?workflow=counted");
            await client.GetStringAsync(run.Headers.Location!.OriginalString.Replace("/Logs/", "/runs/") + "/live");
        }

        var home = await client.GetDocumentAsync("/");
        var today = DateTime.UtcNow.ToString("MMM d", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"{today}: 2 runs, 0 failed", home.QuerySelectorAll("svg.chart rect.ok title").Last().TextContent);
        var cards = home.QuerySelectorAll(".card").Select(c => c.TextContent.Trim()).ToList();
        Assert.Contains("2 runs", cards);
        Assert.Contains("100% succeeded of finished runs", cards);
        // on a phone the column headings are hidden: each cell names its column
        Assert.Equal(["Workflow", "Status", "Started"], home.QuerySelectorAll("tbody tr")[0].QuerySelectorAll("td").Select(td => td.GetAttribute("data-label")));
        var logs = await client.GetDocumentAsync("/Logs");
        Assert.Equal(["Workflow", "Status", "Origin", "Started", "Duration"], logs.QuerySelectorAll("tbody tr")[0].QuerySelectorAll("td").Select(td => td.GetAttribute("data-label")));
    }
}

/// <summary>The layout's favicon is served, so browsers do not ask for a missing /favicon.ico.</summary>
public sealed class FaviconTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public FaviconTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task The_layout_links_a_favicon_that_is_served()
    {
        await _host.CreateUserAsync("icon");
        var client = await _host.SignedInAsync("icon");
        var page = await client.GetDocumentAsync("/Logs");
        var href = page.QuerySelector("link[rel=icon]")!.GetAttribute("href")!;
        var icon = await client.GetAsync(href);
        Assert.Equal(System.Net.HttpStatusCode.OK, icon.StatusCode);
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);
    }
}
