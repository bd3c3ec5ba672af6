using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>Setup and login posted empty (no browser validation) answer with their usual messages, never a 500.</summary>
public sealed class EmptyAccountFormTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public EmptyAccountFormTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task Empty_setup_and_login_forms_say_what_is_missing()
    {
        var client = _host.Anonymous();
        var setup = await client.PostFormAsync("/Account/Setup", new() { ["UserName"] = "", ["Password"] = "", ["Confirm"] = "" });
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        var errors = HtmlClient.Parse(await setup.Content.ReadAsStringAsync()).QuerySelector("ul.errors")!.TextContent;
        Assert.Contains("Choose a user name.", errors);
        Assert.Contains("Choose a password.", errors);

        await _host.CreateUserAsync("someone");
        var login = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = "", ["Password"] = "" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var message = HtmlClient.Parse(await login.Content.ReadAsStringAsync()).QuerySelector("main p.error")!.TextContent;
        Assert.Equal("Type your user name and your password.", message);

        var noPassword = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = "someone", ["Password"] = "" });
        Assert.Equal(HttpStatusCode.OK, noPassword.StatusCode);
    }
}
