using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>The workflow's page says whether agents see it as an MCP tool, and under which name; saving keeps the setting.</summary>
public sealed class McpFieldTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public McpFieldTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task Exposing_a_workflow_is_saved_and_shown_with_its_tool_name()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await _host.CreateUserAsync(name);
        var client = await _host.SignedInAsync(name);
        var saved = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "greet", ["Form.Name"] = "Greet",
            ["Form.Steps[0].StepId"] = "a", ["Form.Steps[0].StepType"] = "template", ["Form.Steps[0].Action"] = "render",
            ["Form.Steps[0].Parameters[text]"] = "hello",
            ["Form.McpExpose"] = "true", ["Form.McpToolName"] = "say_hello",
        });
        Assert.True(saved.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.OK, $"{saved.StatusCode}");

        var page = HtmlClient.Parse(await client.GetStringAsync("/Workflows/Edit/greet"));

        Assert.Equal("Exposed: agents with a token of yours see the tool say_hello; its arguments are the variables.",
            page.GetElementById("workflow-mcp-status")!.TextContent.Trim());
        Assert.True(page.GetElementById("workflow-mcp-expose")!.HasAttribute("checked"));
        Assert.Equal("say_hello", page.GetElementById("workflow-mcp-tool")!.GetAttribute("value"));
    }
}
