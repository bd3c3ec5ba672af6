using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>The editor offers output_schema on the LLM actions (from their parameter schema) and shows a wrong schema's error beside it.</summary>
public sealed class OutputSchemaFieldTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public OutputSchemaFieldTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task The_schema_field_is_offered_and_an_invalid_schema_is_refused_beside_it()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await _host.CreateUserAsync(name);
        var client = await _host.SignedInAsync(name);
        var response = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "triage", ["Form.Name"] = "Triage",
            ["Form.Steps[0].StepId"] = "triage", ["Form.Steps[0].StepType"] = "openai", ["Form.Steps[0].Action"] = "generate_completion",
            ["Form.Steps[0].Parameters[prompt]"] = "Important?",
            ["Form.Steps[0].Parameters[output_schema]"] = """{"type": "object", "properties": {"important": {"type": "bool"}}}""",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        var field = page.GetElementById("s0-p-output_schema");
        Assert.NotNull(field);
        Assert.Equal("textarea", field!.LocalName);
        Assert.True(page.Body!.TextContent.Contains("not a valid JSON Schema"), page.Body!.TextContent);
        Assert.NotNull(page.GetElementById("s0-p-output_schema_template"));
    }
}
