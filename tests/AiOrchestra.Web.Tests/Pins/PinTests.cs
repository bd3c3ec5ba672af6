using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Integrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Pins;

/// <summary>
/// Pinned step outputs: a test run (<c>use_pins</c>) uses them instead of calling the step (checked on the fake's request
/// log) and is marked <c>test</c>; runs started by the API or a trigger never do; a pin that is not valid is refused.
/// </summary>
public sealed class PinTests
{
    private static string Workflow(string fakeUrl) => $$$"""
        {
          "workflow_id": "pinned_flow",
          "steps": [
            { "step_id": "fetch", "step_type": "http", "action": "request", "parameters": { "method": "GET", "url": "{{{fakeUrl}}}/data" } },
            { "step_id": "use", "step_type": "template", "action": "render", "parameters": { "text": "got {{fetch_output.json.n}}" } }
          ],
          "triggers": [{ "trigger_id": "push", "type": "webhook", "respond": "output", "response_step": "use" }]
        }
        """;

    [Fact]
    public async Task A_test_run_uses_the_pinned_output_and_runs_from_the_api_or_a_trigger_never_do()
    {
        await using var fake = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 200, """{"n": 1}"""));
        using var app = new IntegrationApp(fake.Url, new Dictionary<string, string?> { ["Outbound:Allow"] = "127.0.0.1" });
        using var api = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow(fake.Url)))).StatusCode);

        var pinned = await api.PutAsJsonAsync("/api/workflows/pinned_flow/pins/fetch", new { output = new { json = new { n = 7 } } });
        Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        var pins = (await (await api.GetAsync("/api/workflows/pinned_flow/pins")).JsonAsync()).AsArray();
        Assert.Equal(7, (int)pins.Single()!["output"]!["json"]!["n"]!);
        Assert.Equal(ApiFactory.AdminUser, (string?)pins.Single()!["pinned_by"]);

        // the API, as before: the step is called
        var plain = await IntegrationApp.ExecuteAsync(api, "pinned_flow");
        Assert.Equal("got 1", (string?)plain["outputs"]!["use"]);
        Assert.Single(fake.Received);

        // a webhook trigger: the step is called
        var document = await (await api.GetAsync("/api/workflows/pinned_flow")).JsonAsync();
        using var hooks = app.Anonymous();
        var hooked = await hooks.PostAsync((string)document["triggers"]![0]!["url"]!, new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal("got 1", await hooked.Content.ReadAsStringAsync());
        Assert.Equal(2, fake.Received.Count);

        // asked for explicitly: the pinned output, the step not called
        var tested = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "pinned_flow", use_pins = true });
        Assert.Equal(HttpStatusCode.OK, tested.StatusCode);
        var test = await tested.JsonAsync();
        Assert.Equal("got 7", (string?)test["outputs"]!["use"]);
        Assert.Equal(2, fake.Received.Count);
        var run = await (await api.GetAsync($"/api/runs/{(string)test["run_id"]!}")).JsonAsync();
        Assert.Equal("test", (string?)run["origin"]);
        Assert.Equal(0, (int)run["steps"]![0]!["attempts"]!);

        using var browser = await app.BrowserAsync();
        var logs = await browser.GetStringAsync("/Logs?origin=test");
        Assert.Contains((string)test["run_id"]!, logs);
        Assert.DoesNotContain((string)plain["run_id"]!, logs);

        // a pin taken from a past run: the output that run's step had
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/workflows/pinned_flow/pins/fetch", new { from_run = (string)plain["run_id"]! })).StatusCode);
        var again = await (await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "pinned_flow", use_pins = true })).JsonAsync();
        Assert.Equal("got 1", (string?)again["outputs"]!["use"]);
        Assert.Equal(2, fake.Received.Count);

        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync("/api/workflows/pinned_flow/pins/fetch")).StatusCode);
        var unpinned = await (await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "pinned_flow", use_pins = true })).JsonAsync();
        Assert.Equal("got 1", (string?)unpinned["outputs"]!["use"]);
        Assert.Equal(3, fake.Received.Count);
    }

    [Fact]
    public async Task A_pin_that_is_not_valid_is_refused_with_the_reason()
    {
        using var app = new IntegrationApp("http://127.0.0.1:9");
        using var api = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow("http://127.0.0.1:9")))).StatusCode);

        var badJson = await api.PutAsync("/api/workflows/pinned_flow/pins/fetch", ApiFactory.Json("""{"output": {"n": 1,}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        var noStep = await (await api.PutAsJsonAsync("/api/workflows/pinned_flow/pins/nope", new { output = 1 })).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("has no step 'nope' (its steps: fetch, use)", (string?)noStep["detail"]);
        var noRun = await (await api.PutAsJsonAsync("/api/workflows/pinned_flow/pins/fetch", new { from_run = "no-such-run" })).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("run 'no-such-run' of workflow 'pinned_flow' has no step 'fetch'", (string?)noRun["detail"]);
        await (await api.PutAsJsonAsync("/api/workflows/other/pins/fetch", new { output = 1 })).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty((await (await api.GetAsync("/api/workflows/pinned_flow/pins")).JsonAsync()).AsArray());

        // typed in the editor: text that is not JSON is refused with where it went wrong
        var typed = await app.Services.GetRequiredService<AiOrchestra.Web.Pins.StepPins>()
            .PinJsonAsync((await OwnerAsync(app)), "pinned_flow", "fetch", "{\"n\": 1,}", default);
        Assert.Null(typed.Pin);
        Assert.Equal("output", typed.Field);
        Assert.StartsWith("this is not valid JSON", typed.Problem);
    }

    [Fact]
    public async Task A_pin_without_a_path_a_later_step_reads_is_refused_with_the_path_named()
    {
        using var app = new IntegrationApp("http://127.0.0.1:9");
        using var api = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow("http://127.0.0.1:9")))).StatusCode);

        var missing = await (await api.PutAsJsonAsync("/api/workflows/pinned_flow/pins/fetch", new { output = new { json = new { m = 1 } } }))
            .ProblemAsync(HttpStatusCode.BadRequest);
        var problem = (string?)missing["errors"]!["output"]![0];
        Assert.Contains("steps[1].parameters.text: step 'use' reads {{fetch_output.json.n}}", problem);
        Assert.Contains("'fetch_output.json' has no field 'n' (it has: m)", problem);

        var text = await (await api.PutAsJsonAsync("/api/workflows/pinned_flow/pins/fetch", new { output = "just text" })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("'fetch_output' is a string, so '.json' cannot be read from it", (string?)text["errors"]!["output"]![0]);
        Assert.Empty((await (await api.GetAsync("/api/workflows/pinned_flow/pins")).JsonAsync()).AsArray());

        // the last step is read by none, so any output fits it
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/workflows/pinned_flow/pins/use", new { output = "anything" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/workflows/pinned_flow/pins/fetch", new { output = new { json = new { n = 2 } } })).StatusCode);
    }

    [Fact]
    public async Task The_pins_page_refuses_text_that_is_not_json_pins_what_is_and_starts_a_test_run_that_uses_it()
    {
        await using var fake = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 200, """{"n": 1}"""));
        using var app = new IntegrationApp(fake.Url, new Dictionary<string, string?> { ["Outbound:Allow"] = "127.0.0.1" });
        using var api = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow(fake.Url)))).StatusCode);
        using var browser = await app.BrowserAsync();
        const string page = "/Workflows/Pins/pinned_flow";

        var refused = await browser.PostFormAsync(page + "?handler=Pin", new() { ["stepId"] = "fetch", ["output"] = "{\"json\": {\"n\": 5}" }, formPage: page);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var shown = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await refused.Content.ReadAsStringAsync());
        Assert.StartsWith("output: this is not valid JSON", shown.QuerySelector("tr[data-step='fetch'] [role='alert']")!.TextContent);
        Assert.Equal("{\"json\": {\"n\": 5}", shown.QuerySelector("tr[data-step='fetch'] textarea")!.TextContent);
        Assert.Empty((await (await api.GetAsync("/api/workflows/pinned_flow/pins")).JsonAsync()).AsArray());

        var pinned = await browser.PostFormAsync(page + "?handler=Pin", new() { ["stepId"] = "fetch", ["output"] = "{\"json\": {\"n\": 5}}" }, formPage: page);
        Assert.Equal(HttpStatusCode.Redirect, pinned.StatusCode);
        var listed = await browser.GetDocumentAsync(page);
        Assert.Contains("\"n\": 5", listed.QuerySelector("tr[data-step='fetch'] pre")!.TextContent);

        var started = await browser.PostFormAsync(page + "?handler=Test", [], formPage: page);
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);
        var runId = started.Headers.Location!.ToString().Split('/')[^1];
        var run = await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
        for (var i = 0; i < 400 && (string?)run["status"] is "queued" or "running"; i++)
        {
            await Task.Delay(25);
            run = await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
        }
        Assert.Equal("test", (string?)run["origin"]);
        Assert.Equal("got 5", (string?)run["outputs"]!["use"]);
        Assert.Empty(fake.Received);
    }

    private static async Task<string> OwnerAsync(IntegrationApp app)
    {
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<AiOrchestra.Web.Data.AppUser>>();
        return (await users.FindByNameAsync(ApiFactory.AdminUser))!.Id;
    }
}
