using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>Changing a step's type redraws its parameter fields from the new action's schema.</summary>
public sealed class StepTypeChangeTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public StepTypeChangeTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task An_empty_field_of_the_previous_type_goes_and_a_typed_value_stays()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await _host.CreateUserAsync(name);
        var client = await _host.SignedInAsync(name);
        var response = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "switch", ["Form.Name"] = "Switch",
            // step 0: template -> http with the text left empty; step 1: template -> http with the text typed
            ["Form.Steps[0].StepId"] = "a", ["Form.Steps[0].StepType"] = "http", ["Form.Steps[0].Action"] = "render",
            ["Form.Steps[0].Parameters[text]"] = "",
            ["Form.Steps[1].StepId"] = "b", ["Form.Steps[1].StepType"] = "http", ["Form.Steps[1].Action"] = "render",
            ["Form.Steps[1].Parameters[text]"] = "keep me",
            // step 2: stays http, its url stays
            ["Form.Steps[2].StepId"] = "c", ["Form.Steps[2].StepType"] = "http", ["Form.Steps[2].Action"] = "request",
            ["Form.Steps[2].Parameters[url]"] = "https://example.org/", ["Form.Steps[2].Parameters[method]"] = "",
            ["Command"] = "refresh",
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.Null(page.GetElementById("s0-p-text"));
        Assert.NotNull(page.GetElementById("s0-p-url"));
        Assert.Equal("keep me", page.GetElementById("s1-p-text")!.TextContent);
        Assert.Equal("https://example.org/", page.GetElementById("s2-p-url")!.TextContent);
        Assert.NotNull(page.GetElementById("s2-p-method"));
    }
}
