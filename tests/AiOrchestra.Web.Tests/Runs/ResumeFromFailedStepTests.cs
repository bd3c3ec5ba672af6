using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Integrations;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Runs;

/// <summary>
/// POST /api/runs/{id}/resume: a new run, linked both ways, reuses the succeeded steps' outputs and calls only the
/// failed step and those after it (read from the local service's request log); refusals say why.
/// </summary>
public sealed class ResumeFromFailedStepTests
{
    /// <summary>Three HTTP steps; the second calls <paramref name="secondPath"/>, the third posts the first's output.</summary>
    internal static string ThreeSteps(string url, string secondPath, string firstPath = "/one") => $$"""
        {
          "workflow_id": "three",
          "name": "Three calls",
          "steps": [
            { "step_id": "one", "step_type": "http", "action": "request", "parameters": { "method": "GET", "url": "{{url}}{{firstPath}}" } },
            { "step_id": "two", "step_type": "http", "action": "request", "parameters": { "method": "GET", "url": "{{url}}{{secondPath}}" } },
            { "step_id": "three", "step_type": "http", "action": "request",
              "parameters": { "method": "POST", "url": "{{url}}/three", "body": "one said {{"{{one_output.json.path}}"}}" } }
          ]
        }
        """;

    private static readonly Dictionary<string, string?> AllowLoopback = new() { ["Outbound:Allow"] = "127.0.0.1" };

    /// <summary>A local service answering every path with JSON (its path and three items), except the paths (with their query) marked broken: 400.</summary>
    internal static Task<FakeServer> ServiceAsync(ConcurrentDictionary<string, bool> broken) =>
        FakeServer.StartAsync((request, context) => broken.ContainsKey(request.PathAndQuery)
            ? FakeServer.Text(context, 400, "broken")
            : FakeServer.Json(context, 200, $$"""{"path": "{{request.PathAndQuery}}", "items": [1, 2, 3]}"""));

    /// <summary>The run once its event stream has ended with run-finished.</summary>
    internal static async Task<JsonNode> WaitForAsync(HttpClient api, string runId)
    {
        await foreach (var item in IntegrationApp.EventsAsync(api, $"/api/runs/{runId}/events"))
        {
            if (item.EventType == "run-finished")
            {
                break;
            }
        }
        return await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
    }

    private static async Task<JsonNode> RunAsync(HttpClient api, string workflowId)
    {
        var response = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = workflowId });
        return await response.JsonAsync();
    }

    [Fact]
    public async Task A_run_failed_at_step_two_resumes_on_the_fixed_version_without_calling_step_one_again()
    {
        var broken = new ConcurrentDictionary<string, bool>();
        await using var service = await ServiceAsync(broken);
        using var app = new IntegrationApp(service.Url, AllowLoopback);
        using var api = await app.AdminAsync();
        Assert.True((await api.PostAsync("/api/workflows", ApiFactory.Json(ThreeSteps(service.Url, "/broken")))).IsSuccessStatusCode);
        broken["/broken"] = true;

        var failed = await RunAsync(api, "three");
        Assert.False((bool)failed["success"]!);
        var failedId = (string)failed["run_id"]!;
        // the fix: step two calls another address (version 2); step one is unchanged
        Assert.True((await api.PutAsync("/api/workflows/three", ApiFactory.Json(ThreeSteps(service.Url, "/two")))).IsSuccessStatusCode);
        var before = service.Received.Count;

        var resumed = await api.PostAsync($"/api/runs/{failedId}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        var answer = await resumed.JsonAsync();
        Assert.Equal("two", (string?)answer["from_step"]);
        Assert.Equal(2, (int)answer["workflow_version"]!);
        var run = await WaitForAsync(api, (string)answer["run_id"]!);

        Assert.Equal("succeeded", (string?)run["status"]);
        Assert.Equal("resume", (string?)run["origin"]);
        Assert.Equal(failedId, (string?)run["resumed_from_run_id"]);
        // only step two (fixed) and three were called; three got step one's recorded output
        Assert.Equal(["/two", "/three"], service.Received.Skip(before).Select(r => r.Path));
        Assert.Equal("one said /one", service.Received[^1].Body);
        Assert.Equal(1, service.Received.Count(r => r.Path == "/one"));
        Assert.Equal("/one", (string?)run["outputs"]!["one"]!["json"]!["path"]);
        // linked both ways
        var original = await (await api.GetAsync($"/api/runs/{failedId}")).JsonAsync();
        Assert.Equal([(string)answer["run_id"]!], original["resumed_by"]!.AsArray().Select(id => (string?)id));
    }

    [Fact]
    public async Task A_succeeded_run_a_changed_earlier_step_a_deleted_workflow_and_anothers_run_are_refused_with_a_reason()
    {
        var broken = new ConcurrentDictionary<string, bool>();
        await using var service = await ServiceAsync(broken);
        using var app = new IntegrationApp(service.Url, AllowLoopback);
        using var api = await app.AdminAsync();
        using var bob = await app.NewUserAsync("bob");
        await api.PostAsync("/api/workflows", ApiFactory.Json(ThreeSteps(service.Url, "/two")));

        var succeeded = (string)(await RunAsync(api, "three"))["run_id"]!;
        var refused = await (await api.PostAsync($"/api/runs/{succeeded}/resume", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("succeeded", (string?)refused["detail"]);

        broken["/two"] = true;
        var failed = (string)(await RunAsync(api, "three"))["run_id"]!;
        await (await bob.PostAsync($"/api/runs/{failed}/resume", null)).ProblemAsync(HttpStatusCode.NotFound);

        // step one changed: its recorded output is not what the workflow gives now
        await api.PutAsync("/api/workflows/three", ApiFactory.Json(ThreeSteps(service.Url, "/two", firstPath: "/one-changed")));
        refused = await (await api.PostAsync($"/api/runs/{failed}/resume", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("Step 'one' (step 1) changed in version 2", (string?)refused["detail"]);

        // undone: resumable again, on version 3
        await api.PutAsync("/api/workflows/three", ApiFactory.Json(ThreeSteps(service.Url, "/two")));
        broken.Clear();
        var resumed = await api.PostAsync($"/api/runs/{failed}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        Assert.Equal("succeeded", (string?)(await WaitForAsync(api, (string)(await resumed.JsonAsync())["run_id"]!))["status"]);

        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync("/api/workflows/three")).StatusCode);
        refused = await (await api.PostAsync($"/api/runs/{failed}/resume", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("was deleted", (string?)refused["detail"]);
    }

    [Fact]
    public async Task A_loop_resumes_per_item_on_the_same_version_without_calling_its_finished_items_again()
    {
        var broken = new ConcurrentDictionary<string, bool>();
        await using var service = await ServiceAsync(broken);
        using var app = new IntegrationApp(service.Url, AllowLoopback);
        using var api = await app.AdminAsync();
        var loop = $$"""
            {
              "workflow_id": "loop",
              "name": "Loop",
              "steps": [
                { "step_id": "list", "step_type": "http", "action": "request", "parameters": { "method": "GET", "url": "{{service.Url}}/list" } },
                { "step_id": "each", "step_type": "http", "action": "request", "for_each": "{{"{{list_output.json.items}}"}}",
                  "parameters": { "method": "GET", "url": "{{service.Url}}/item?n={{"{{item}}"}}" } }
              ]
            }
            """;
        var saved = await api.PostAsync("/api/workflows", ApiFactory.Json(loop));
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
        broken["/item?n=2"] = true;

        var failed = await RunAsync(api, "loop");
        Assert.False((bool)failed["success"]!, failed.ToJsonString());
        broken.Clear();
        var before = service.Received.Count;

        var resumed = await api.PostAsync($"/api/runs/{(string)failed["run_id"]!}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        var answer = await resumed.JsonAsync();
        Assert.Equal("each", (string?)answer["from_step"]);
        Assert.Equal(1, (int)answer["workflow_version"]!);
        var run = await WaitForAsync(api, (string)answer["run_id"]!);

        Assert.Equal("succeeded", (string?)run["status"]);
        // item 1 had succeeded: only items 2 and 3 are called, and the list step not at all
        Assert.Equal(["/item?n=2", "/item?n=3"], service.Received.Skip(before).Select(r => r.PathAndQuery));
        Assert.Equal(["/item?n=1", "/item?n=2", "/item?n=3"], run["outputs"]!["each"]!.AsArray().Select(o => (string?)o!["json"]!["path"]));
    }

    [Fact]
    public async Task The_run_page_offers_Resume_from_the_failed_step_or_says_why_not_and_links_the_runs_both_ways()
    {
        var broken = new ConcurrentDictionary<string, bool>();
        await using var service = await ServiceAsync(broken);
        using var app = new IntegrationApp(service.Url, AllowLoopback);
        using var api = await app.AdminAsync();
        using var browser = await app.BrowserAsync();
        await api.PostAsync("/api/workflows", ApiFactory.Json(ThreeSteps(service.Url, "/two")));
        broken["/two"] = true;
        var failed = (string)(await RunAsync(api, "three"))["run_id"]!;

        var page = await browser.GetDocumentAsync($"/Logs/{failed}");
        Assert.Equal("Resume from two", page.QuerySelector("#run-resume button")!.TextContent.Trim());

        await api.PutAsync("/api/workflows/three", ApiFactory.Json(ThreeSteps(service.Url, "/two", firstPath: "/one-changed")));
        page = await browser.GetDocumentAsync($"/Logs/{failed}");
        Assert.Null(page.QuerySelector("#run-resume button"));
        Assert.Contains("Cannot resume: Step 'one' (step 1) changed in version 2", page.QuerySelector("#run-resume")!.TextContent);

        await api.PutAsync("/api/workflows/three", ApiFactory.Json(ThreeSteps(service.Url, "/two")));
        broken.Clear();
        var before = service.Received.Count;
        var posted = await browser.PostFormAsync($"/Logs/{failed}?handler=Resume", [], formPage: $"/Logs/{failed}");
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var resumedId = posted.Headers.Location!.OriginalString["/Logs/".Length..];
        Assert.Equal("succeeded", (string?)(await WaitForAsync(api, resumedId))["status"]);
        Assert.Equal(["/two", "/three"], service.Received.Skip(before).Select(r => r.Path));

        var resumedPage = await browser.GetDocumentAsync($"/Logs/{resumedId}");
        Assert.Equal($"/Logs/{failed}", resumedPage.QuerySelector("#resumed-from a")!.GetAttribute("href"));
        var originalPage = await browser.GetDocumentAsync($"/Logs/{failed}");
        Assert.Equal($"/Logs/{resumedId}", originalPage.QuerySelector("#resumed-by a")!.GetAttribute("href"));
    }

    [Fact]
    public async Task A_run_cancelled_at_step_two_resumes_from_step_two()
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        await using var service = await FakeServer.StartAsync(async (request, context) =>
        {
            if (request.Path == "/two" && Interlocked.Increment(ref held) == 1)
            {
                reached.SetResult();
                await release.Task.WaitAsync(context.RequestAborted);
            }
            await FakeServer.Json(context, 200, $$"""{"path": "{{request.Path}}"}""");
        });
        using var app = new IntegrationApp(service.Url, AllowLoopback);
        using var api = await app.AdminAsync();
        await api.PostAsync("/api/workflows", ApiFactory.Json(ThreeSteps(service.Url, "/two")));
        var queued = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "three", wait = false });
        var cancelledId = (string)(await queued.JsonAsync())["run_id"]!;
        try
        {
            await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True((await api.PostAsync($"/api/runs/{cancelledId}/cancel", null)).IsSuccessStatusCode);
            Assert.Equal("cancelled", (string?)(await WaitForAsync(api, cancelledId))["status"]);
        }
        finally
        {
            release.TrySetResult();
        }
        var before = service.Received.Count;

        var resumed = await api.PostAsync($"/api/runs/{cancelledId}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        var answer = await resumed.JsonAsync();
        Assert.Equal("two", (string?)answer["from_step"]);
        Assert.Equal("succeeded", (string?)(await WaitForAsync(api, (string)answer["run_id"]!))["status"]);
        Assert.Equal(["/two", "/three"], service.Received.Skip(before).Select(r => r.Path));
    }
}
