using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Integrations;
using AiOrchestra.Web.Tests.Runs;

namespace AiOrchestra.Web.Tests.Pins;

/// <summary>
/// "Run this step" (<c>POST /api/workflows/{id}/steps/{step}/run</c> and the pins page): a test run that calls only the
/// chosen step (checked on the local service's request log), reading the earlier outputs of a past run; refusals name
/// the field and say why.
/// </summary>
public sealed class StepRunTests
{
    private static readonly Dictionary<string, string?> AllowLoopback = new() { ["Outbound:Allow"] = "127.0.0.1" };

    private static async Task<JsonNode> ExecuteAsync(HttpClient api) =>
        await (await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "three" })).JsonAsync();

    [Fact]
    public async Task Running_one_step_calls_only_it_with_the_past_runs_outputs_and_runs_no_later_step()
    {
        var broken = new ConcurrentDictionary<string, bool>();
        await using var service = await ResumeFromFailedStepTests.ServiceAsync(broken);
        using var app = new IntegrationApp(service.Url, AllowLoopback);
        using var api = await app.AdminAsync();
        Assert.True((await api.PostAsync("/api/workflows", ApiFactory.Json(ResumeFromFailedStepTests.ThreeSteps(service.Url, "/two")))).IsSuccessStatusCode);
        var past = (string)(await ExecuteAsync(api))["run_id"]!;
        var before = service.Received.Count;

        // step two reads nothing earlier; step three, after it, must not run
        var started = await api.PostAsJsonAsync("/api/workflows/three/steps/two/run", new { from_run = past });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var runId = (string)(await started.JsonAsync())["run_id"]!;
        var run = await ResumeFromFailedStepTests.WaitForAsync(api, runId);
        Assert.Equal("succeeded", (string?)run["status"]);
        Assert.Equal("test", (string?)run["origin"]);
        var calls = service.Received.Skip(before).ToList();
        Assert.Equal("GET /two", Assert.Single(calls).Method + " " + calls[0].Path);
        var steps = run["steps"]!.AsArray();
        Assert.Equal(["succeeded", "succeeded", "skipped"], steps.Select(s => (string?)s!["status"]));
        Assert.Equal(0, (int)steps[0]!["attempts"]!);
        Assert.Contains("not run: this test run ran step 'two' alone", (string?)steps[2]!["error"]);

        // step three reads step one's output: the past run's, not a new call
        var third = await api.PostAsJsonAsync("/api/workflows/three/steps/three/run", new { from_run = past });
        var thirdRun = await ResumeFromFailedStepTests.WaitForAsync(api, (string)(await third.JsonAsync())["run_id"]!);
        Assert.Equal("succeeded", (string?)thirdRun["status"]);
        var call = Assert.Single(service.Received.Skip(before + 1));
        Assert.Equal("/three", call.Path);
        Assert.Equal("one said /one", call.Body);

        using var browser = await app.BrowserAsync();
        Assert.Contains(runId, await browser.GetStringAsync("/Logs?origin=test"));
    }

    [Fact]
    public async Task A_step_run_is_refused_when_the_run_is_unknown_of_another_workflow_or_lacks_an_output_the_step_reads()
    {
        var broken = new ConcurrentDictionary<string, bool>();
        await using var service = await ResumeFromFailedStepTests.ServiceAsync(broken);
        using var app = new IntegrationApp(service.Url, AllowLoopback);
        using var api = await app.AdminAsync();
        Assert.True((await api.PostAsync("/api/workflows", ApiFactory.Json(ResumeFromFailedStepTests.ThreeSteps(service.Url, "/two")))).IsSuccessStatusCode);
        broken["/one"] = true;
        var failed = (string)(await ExecuteAsync(api))["run_id"]!;
        var before = service.Received.Count;

        var notRead = await (await api.PostAsJsonAsync("/api/workflows/three/steps/three/run", new { from_run = failed })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal($"step 'three' reads the output of step 'one', which failed in run '{failed}'; pick a run where 'one' succeeded.",
            (string?)notRead["errors"]!["from_run"]![0]);
        var unknown = await (await api.PostAsJsonAsync("/api/workflows/three/steps/three/run", new { from_run = "no-such-run" })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("there is no run 'no-such-run' of workflow 'three'", (string?)unknown["errors"]!["from_run"]![0]);
        var missing = await (await api.PostAsJsonAsync("/api/workflows/three/steps/three/run", new { })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(missing["errors"]!["from_run"]);
        await (await api.PostAsJsonAsync("/api/workflows/three/steps/nope/run", new { from_run = failed })).ProblemAsync(HttpStatusCode.NotFound);

        // a run of another workflow is not one of this workflow's runs
        Assert.True((await api.PostAsync("/api/workflows", ApiFactory.Json(ResumeFromFailedStepTests.ThreeSteps(service.Url, "/two").Replace("\"workflow_id\": \"three\"", "\"workflow_id\": \"other\"")))).IsSuccessStatusCode);
        var otherRun = (string)(await (await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "other" })).JsonAsync())["run_id"]!;
        var foreign = await (await api.PostAsJsonAsync("/api/workflows/three/steps/two/run", new { from_run = otherRun })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains($"there is no run '{otherRun}' of workflow 'three'", (string?)foreign["errors"]!["from_run"]![0]);

        // another user's workflow of the same id cannot read this user's run
        using var bob = await app.NewUserAsync("bob");
        Assert.True((await bob.PostAsync("/api/workflows", ApiFactory.Json(ResumeFromFailedStepTests.ThreeSteps(service.Url, "/two")))).IsSuccessStatusCode);
        var stranger = await (await bob.PostAsJsonAsync("/api/workflows/three/steps/two/run", new { from_run = failed })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains($"there is no run '{failed}' of workflow 'three'", (string?)stranger["errors"]!["from_run"]![0]);
        var afterOther = service.Received.Count;

        // the page shows the refusal at the step's row
        using var browser = await app.BrowserAsync();
        const string page = "/Workflows/Pins/three";
        var refused = await browser.PostFormAsync(page + "?handler=RunStep", new() { ["stepId"] = "three", ["fromRun"] = failed }, formPage: page);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var shown = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await refused.Content.ReadAsStringAsync());
        Assert.StartsWith("from_run: step 'three' reads the output of step 'one'", shown.QuerySelector("tr[data-step='three'] [role='alert']")!.TextContent);
        Assert.Equal(afterOther, service.Received.Count);
        Assert.True(afterOther > before);

        // and a step that reads nothing runs from the page
        var started = await browser.PostFormAsync(page + "?handler=RunStep", new() { ["stepId"] = "two", ["fromRun"] = failed }, formPage: page);
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);
        var run = await ResumeFromFailedStepTests.WaitForAsync(api, started.Headers.Location!.ToString().Split('/')[^1]);
        Assert.Equal("succeeded", (string?)run["status"]);
        Assert.Equal("/two", Assert.Single(service.Received.Skip(afterOther)).Path);
    }
}
