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
    }
}
