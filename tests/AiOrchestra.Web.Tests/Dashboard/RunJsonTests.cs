using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Dashboard;

namespace AiOrchestra.Web.Tests.Dashboard;

/// <summary>JSON on the run page reads as written (no \u0022 escapes) and is still HTML-encoded.</summary>
public sealed class RunJsonTests : IClassFixture<DashboardHost>
{
    private const string Tricky = "say \"hi\" <script>alert('x')</script> & go";
    private readonly DashboardHost _host;

    public RunJsonTests(DashboardHost host) => _host = host;

    [Fact]
    public async Task A_json_output_shows_quotes_and_angle_brackets_as_typed_and_encoded()
    {
        var html = await _host.RenderPartialAsync("/Pages/Logs/_Output.cshtml", new OutputDisplay().Show(new JsonObject { ["text"] = Tricky }));
        Assert.DoesNotContain("\\u00", html);
        Assert.DoesNotContain("<script", html);
        var pre = HtmlClient.Parse(html).QuerySelector("pre.json")!;
        Assert.Contains("\"text\": \"say \\\"hi\\\" <script>alert('x')</script> & go\"", pre.TextContent);
    }

    [Fact]
    public async Task The_inputs_of_a_run_show_quotes_and_angle_brackets_as_typed()
    {
        var name = "user-" + Guid.NewGuid().ToString("N")[..8];
        await _host.CreateUserAsync(name);
        var client = await _host.SignedInAsync(name);
        var saved = await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "quoted", ["Form.Name"] = "Quoted", ["Form.Variables"] = "{\"who\": \"\"}",
            ["Form.Steps[0].StepId"] = "greet", ["Form.Steps[0].StepType"] = "template", ["Form.Steps[0].Action"] = "render",
            ["Form.Steps[0].Parameters[text]"] = "Hi {{who}}", ["Command"] = "save",
        });
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var run = await client.PostFormAsync("/Execute?workflow=quoted", new() { ["Inputs[who]"] = Tricky }, "/Execute?workflow=quoted");
        var runUrl = run.Headers.Location!.OriginalString;

        var response = await client.GetAsync(runUrl);
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("\\u00", html);
        var inputs = HtmlClient.Parse(html).QuerySelector("details pre.json")!;
        Assert.Contains("\"who\": \"say \\\"hi\\\" <script>alert('x')</script> & go\"", inputs.TextContent);
        Assert.Empty(HtmlClient.Parse(html).QuerySelectorAll("main script"));
    }
}
