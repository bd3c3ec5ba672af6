using System.Net;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>
/// An empty field arrives as null from model binding; the forms must answer with their usual field errors, never a 500
/// (which htmx would otherwise swap over the editor).
/// </summary>
public sealed class EmptyFieldTests : IClassFixture<DashboardHost>
{
    private readonly DashboardHost _host;

    public EmptyFieldTests(DashboardHost host) => _host = host;

    private async Task<HttpClient> NewUserAsync()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await _host.CreateUserAsync(name);
        return await _host.SignedInAsync(name);
    }

    [Fact]
    public async Task Changing_a_step_type_before_typing_a_name_redraws_the_editor()
    {
        var client = await NewUserAsync();
        var response = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "",
            ["Form.Name"] = "",
            ["Form.Description"] = "",
            ["Form.Variables"] = "",
            ["Form.Steps[0].StepId"] = "",
            ["Form.Steps[0].StepType"] = "http",
            ["Form.Steps[0].Action"] = "",
            ["Command"] = "refresh",
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("", page.GetElementById("workflow-name")!.GetAttribute("value"));
        Assert.Equal("http", page.QuerySelector("#s0-type option[selected]")!.GetAttribute("value"));
        Assert.NotNull(page.GetElementById("s0-p-url"));
    }

    [Fact]
    public async Task Saving_a_workflow_with_empty_ids_shows_the_field_errors()
    {
        var client = await NewUserAsync();
        var response = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "",
            ["Form.Name"] = "",
            ["Form.Steps[0].StepId"] = "",
            ["Form.Steps[0].StepType"] = "template",
            ["Form.Steps[0].Action"] = "render",
            ["Form.Steps[0].Parameters[text]"] = "hi",
            ["Command"] = "save",
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.NotNull(page.QuerySelector("[data-path='workflow_id']"));
        Assert.NotNull(page.QuerySelector("[data-path='steps[0].step_id']"));
    }

    [Fact]
    public async Task The_editor_answers_an_htmx_post_with_empty_fields_with_its_partial()
    {
        var client = await NewUserAsync();
        var form = await client.GetDocumentAsync("/Workflows/Edit");
        var token = form.QuerySelector("meta[name=request-verification-token]")!.GetAttribute("content")!;
        var request = new HttpRequestMessage(HttpMethod.Post, "/Workflows/Edit")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Form.WorkflowId"] = "", ["Form.Name"] = "", ["Form.Steps[0].StepId"] = "", ["Form.Steps[0].StepType"] = "", ["Command"] = "refresh",
            }),
        };
        request.Headers.Add("HX-Request", "true");
        request.Headers.Add("RequestVerificationToken", token);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var partial = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.NotNull(partial.GetElementById("editor"));
        Assert.Equal("(choose)", partial.QuerySelector("#s0-type option[selected]")!.TextContent);
    }

    [Fact]
    public async Task Saving_a_prompt_with_empty_fields_shows_the_field_errors()
    {
        var client = await NewUserAsync();
        var response = await client.PostFormAsync("/Prompts/Edit", new()
        {
            ["TemplateId"] = "", ["Name"] = "", ["Description"] = "", ["Template"] = "",
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = (await response.Content.ReadAsStringAsync());
        var errors = HtmlClient.Parse(text).QuerySelector(".errors")!.TextContent;
        Assert.Contains("template_id", errors);
        Assert.Contains("template", errors);
    }

    [Fact]
    public async Task Every_page_tells_htmx_not_to_swap_a_server_error()
    {
        var client = await NewUserAsync();
        var page = await client.GetDocumentAsync("/Workflows/Edit");
        var config = page.QuerySelector("meta[name=htmx-config]")!.GetAttribute("content")!;
        var noSwap = System.Text.Json.Nodes.JsonNode.Parse(config)!["noSwap"]!.AsArray().Select(v => v!.ToJsonString()).ToList();
        Assert.Contains("\"5xx\"", noSwap);
        Assert.Contains("204", noSwap);
    }
}
