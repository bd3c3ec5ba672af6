using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>The step editor edits when, for_each, concurrency and depends_on, with errors beside their fields.</summary>
public sealed class ControlFlowEditorTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    private async Task<HttpClient> NewUserAsync()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);
        return await host.SignedInAsync(name);
    }

    private static Dictionary<string, string> Fields(string when, string dependsOn) => new()
    {
        ["Form.WorkflowId"] = "flow_form",
        ["Form.Name"] = "Flow",
        ["Form.Variables"] = "{\"names\": [\"a\", \"b\"]}",
        ["Form.Steps[0].StepId"] = "first",
        ["Form.Steps[0].StepType"] = "template",
        ["Form.Steps[0].Action"] = "render",
        ["Form.Steps[0].Parameters[text]"] = "x",
        ["Form.Steps[1].StepId"] = "each",
        ["Form.Steps[1].StepType"] = "template",
        ["Form.Steps[1].Action"] = "render",
        ["Form.Steps[1].Parameters[text]"] = "{{item}}",
        ["Form.Steps[1].When"] = when,
        ["Form.Steps[1].ForEach"] = "{{names}}",
        ["Form.Steps[1].Concurrency"] = "2",
        ["Form.Steps[1].DependsOn"] = dependsOn,
        ["Command"] = "save",
    };

    [Fact]
    public async Task Control_flow_fields_are_saved_and_shown_again()
    {
        var client = await NewUserAsync();

        var saved = await client.PostFormAsync("/Workflows/Edit", Fields("length(names) > 1", "first"));

        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var export = await client.GetStringAsync("/Workflows/Edit/flow_form?handler=Export");
        Assert.Contains("\"when\": \"length(names) > 1\"", export);
        Assert.Contains("\"for_each\": \"{{names}}\"", export);
        Assert.Contains("\"concurrency\": 2", export);
        Assert.Contains("\"depends_on\": [\n        \"first\"\n      ]", export);
        var page = await client.GetDocumentAsync("/Workflows/Edit/flow_form");
        Assert.Equal("length(names) > 1", page.GetElementById("s1-when")!.GetAttribute("value"));
        Assert.Equal("{{names}}", page.GetElementById("s1-foreach")!.GetAttribute("value"));
        Assert.Equal("first", page.GetElementById("s1-dependson")!.GetAttribute("value"));
    }

    [Fact]
    public async Task A_broken_condition_and_a_wrong_dependency_are_shown_beside_their_fields()
    {
        var client = await NewUserAsync();

        var response = await client.PostFormAsync("/Workflows/Edit", Fields("length(names) = 1", "first, later"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("at position 14: '=' alone is not a comparison", page.GetElementById("s1-when-error")!.TextContent);
        Assert.Contains("s1-when-error", page.GetElementById("s1-when")!.GetAttribute("aria-describedby"));
        Assert.Contains("[1]: unknown step \"later\"", page.GetElementById("s1-dependson-error")!.TextContent);
    }

    [Fact]
    public async Task The_failure_handler_is_kept_when_the_form_is_saved_and_can_be_edited()
    {
        var client = await NewUserAsync();
        var fields = Fields("length(names) > 1", "first");
        fields["Form.OnFailureWorkflowId"] = "alert";
        fields["Form.OnFailureVariables"] = "{\"message\": \"{{failed_run.error}}\"}";

        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit", fields)).StatusCode);

        var export = await client.GetStringAsync("/Workflows/Edit/flow_form?handler=Export");
        Assert.Contains("\"on_failure\": {\n    \"workflow_id\": \"alert\",\n    \"variables\": {\n      \"message\": \"{{failed_run.error}}\"", export);
        var page = await client.GetDocumentAsync("/Workflows/Edit/flow_form");
        Assert.Equal("alert", page.GetElementById("workflow-onfailure")!.GetAttribute("value"));

        fields["Form.OnFailureWorkflowId"] = "flow_form";
        var refused = HtmlClient.Parse(await (await client.PostFormAsync("/Workflows/Edit/flow_form", fields, "/Workflows/Edit/flow_form")).Content.ReadAsStringAsync());
        Assert.Contains("cannot be its own failure handler", refused.GetElementById("workflow-onfailure-error")!.TextContent);
    }
}
