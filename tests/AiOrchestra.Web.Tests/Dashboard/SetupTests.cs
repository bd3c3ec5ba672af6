using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>An empty database: the first visit offers to create the administrator, once.</summary>
public sealed class SetupTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public SetupTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task The_first_visit_creates_the_administrator_and_then_setup_is_gone()
    {
        var client = _host.Anonymous();
        var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        var login = await client.GetAsync(home.Headers.Location);
        Assert.Equal("/Account/Setup", login.Headers.Location?.OriginalString);

        var weak = await client.PostFormAsync("/Account/Setup", new() { ["UserName"] = "admin", ["Password"] = "short", ["Confirm"] = "short" });
        Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
        Assert.Contains("at least 10 characters", await weak.Content.ReadAsStringAsync());

        var created = await client.PostFormAsync("/Account/Setup",
            new() { ["UserName"] = "admin", ["Password"] = DashboardHost.Password, ["Confirm"] = DashboardHost.Password });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        var workflows = await client.GetDocumentAsync("/Workflows");
        Assert.Contains("offline_release_notes", workflows.Body!.TextContent);

        Assert.Equal(HttpStatusCode.NotFound, (await _host.Anonymous().GetAsync("/Account/Setup")).StatusCode);
        var logout = await client.PostFormAsync("/Account/Logout", []);
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/Workflows")).StatusCode);
    }
}
