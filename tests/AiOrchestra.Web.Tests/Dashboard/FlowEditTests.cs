using System.Net;
using AiOrchestra.Web.Workflows;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>The workflow page's flow view edited in place: a box opens its step's control flow, saving redraws the arrows.</summary>
public sealed class FlowEditTests(DashboardHost host) : IClassFixture<DashboardHost>
{
    private const string Document = """
        {"workflow_id": "flow_edit", "steps": [
          {"step_id": "fetch", "step_type": "template", "action": "render", "parameters": {"text": "go"}},
          {"step_id": "triage", "step_type": "template", "action": "render", "parameters": {"text": "{{fetch_output}}"}},
          {"step_id": "notify", "step_type": "template", "action": "render", "parameters": {"text": "done"}}],
         "variables": {"names": ["a", "b"]}}
        """;

    private async Task<(HttpClient Client, string Owner)> WithWorkflowAsync()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        var owner = await host.CreateUserAsync(name);
        var client = await host.SignedInAsync(name);
        var saved = await client.PostFormAsync("/Workflows/Edit?handler=Json", new() { ["Json"] = Document }, "/Workflows/Edit");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        return (client, owner);
    }

    [Fact]
    public async Task A_box_opens_its_steps_flow_and_saving_a_dependency_redraws_the_arrows_and_the_step_editor()
    {
        var (client, owner) = await WithWorkflowAsync();
        var page = await client.GetDocumentAsync("/Workflows/Edit/flow_edit");
        var link = page.QuerySelector("#flow a.flow-link:has(g[data-step=notify])")!;
        Assert.Equal("/Workflows/Edit/flow_edit?handler=FlowStep&step=notify", link.GetAttribute("hx-get"));

        using var open = new HttpRequestMessage(HttpMethod.Get, link.GetAttribute("hx-get"));
        open.Headers.Add("HX-Request", "true");
        var panel = HtmlClient.Parse(await (await client.SendAsync(open)).Content.ReadAsStringAsync());
        // notify waits for the step before it: that box is checked, the first is not
        Assert.Equal(["fetch", "triage"], panel.QuerySelectorAll("input[name='flowStep.DependsOn']").Select(c => c.GetAttribute("value")));
        Assert.Equal(["triage"], panel.QuerySelectorAll("input[name='flowStep.DependsOn'][checked]").Select(c => c.GetAttribute("value")));
        Assert.Contains("selected", panel.QuerySelector("g[data-step=notify]")!.ClassName);

        var saved = await client.PostHtmxAsync("/Workflows/Edit/flow_edit?handler=FlowStep&step=notify", new()
        {
            ["flowStep.Version"] = "1", ["flowStep.DependsOn"] = "fetch", ["flowStep.When"] = "length(names) > 1",
        }, "/Workflows/Edit/flow_edit");

        var view = HtmlClient.Parse(await saved.Content.ReadAsStringAsync());
        Assert.Equal(["fetch>triage", "fetch>notify"], view.QuerySelectorAll("#flow path.flow-edge").Select(a => a.GetAttribute("data-from") + ">" + a.GetAttribute("data-to")));
        Assert.Contains("Saved as version 2", view.QuerySelector("#flow-step")!.TextContent);
        // the step editor below comes again with the saved fields, so saving it later keeps this change
        var editor = view.QuerySelector("#editor[hx-swap-oob=true]")!;
        Assert.Equal("fetch", editor.QuerySelector("input[name='Form.Steps[2].DependsOn']")!.GetAttribute("value"));
        var stored = await host.InScope<StoredWorkflow?, WorkflowStore>(s => s.GetAsync(owner, "flow_edit", default));
        Assert.Equal(2, stored!.Version);
        Assert.Equal(["fetch"], stored.Workflow.Steps[2].DependsOn);
        Assert.Equal("length(names) > 1", stored.Workflow.Steps[2].When);
        // the other steps are as they were: triage still waits for the step before it, written nowhere
        Assert.Null(stored.Workflow.Steps[1].DependsOn);
    }

    [Fact]
    public async Task A_bad_condition_is_refused_beside_its_field_with_the_step_editors_path_and_nothing_is_saved()
    {
        var (client, owner) = await WithWorkflowAsync();

        var refused = await client.PostHtmxAsync("/Workflows/Edit/flow_edit?handler=FlowStep&step=notify", new()
        {
            ["flowStep.Version"] = "1", ["flowStep.When"] = "{{nothing_output}} ==", ["flowStep.ForEach"] = "", ["flowStep.Concurrency"] = "3",
        }, "/Workflows/Edit/flow_edit");

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        var view = HtmlClient.Parse(await refused.Content.ReadAsStringAsync());
        Assert.NotEmpty(view.QuerySelector("#flow-when-error[data-path='steps[2].when']")!.TextContent);
        Assert.Contains("for_each", view.QuerySelector("#flow-concurrency-error[data-path='steps[2].concurrency']")!.TextContent);
        // the panel keeps what was typed, the arrows stay as saved, the step editor is not sent
        Assert.Equal("{{nothing_output}} ==", view.QuerySelector("#flow-when")!.GetAttribute("value"));
        Assert.Equal(2, view.QuerySelectorAll("#flow path.flow-edge").Length);
        Assert.Null(view.QuerySelector("#editor"));
        var stored = await host.InScope<StoredWorkflow?, WorkflowStore>(s => s.GetAsync(owner, "flow_edit", default));
        Assert.Equal(1, stored!.Version);

        // the same paths as the step editor's errors for the same mistake
        var editor = HtmlClient.Parse(await (await client.PostHtmxAsync("/Workflows/Edit/flow_edit", new()
        {
            ["Form.WorkflowId"] = "flow_edit", ["Form.Variables"] = "{\"names\": []}",
            ["Form.Steps[0].StepId"] = "fetch", ["Form.Steps[0].StepType"] = "template", ["Form.Steps[0].Action"] = "render", ["Form.Steps[0].Parameters[text]"] = "go",
            ["Form.Steps[1].StepId"] = "triage", ["Form.Steps[1].StepType"] = "template", ["Form.Steps[1].Action"] = "render", ["Form.Steps[1].Parameters[text]"] = "x",
            ["Form.Steps[2].StepId"] = "notify", ["Form.Steps[2].StepType"] = "template", ["Form.Steps[2].Action"] = "render", ["Form.Steps[2].Parameters[text]"] = "x",
            ["Form.Steps[2].When"] = "{{nothing_output}} ==", ["Command"] = "save",
        }, "/Workflows/Edit/flow_edit")).Content.ReadAsStringAsync());
        Assert.Equal(
            editor.QuerySelector(".field-error[data-path='steps[2].when']")!.TextContent,
            view.QuerySelector(".field-error[data-path='steps[2].when']")!.TextContent);
    }

    [Fact]
    public async Task Without_javascript_a_box_opens_the_page_with_the_steps_panel_and_another_users_workflow_is_404()
    {
        var (client, _) = await WithWorkflowAsync();

        var page = await client.GetDocumentAsync("/Workflows/Edit/flow_edit?step=triage");

        Assert.Equal("Step triage", page.QuerySelector("#flow-step h3")!.TextContent);
        Assert.Equal("/Workflows/Edit/flow_edit?handler=FlowStep&step=triage", page.QuerySelector("#flow-step form")!.GetAttribute("action"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/Workflows/Edit/flow_edit?handler=FlowStep&step=nope")).StatusCode);
        var other = await host.SignedInAsync(await NewUserAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/Workflows/Edit/flow_edit?handler=FlowStep&step=triage")).StatusCode);
    }

    private async Task<string> NewUserAsync()
    {
        var name = "other-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(name);
        return name;
    }
}
