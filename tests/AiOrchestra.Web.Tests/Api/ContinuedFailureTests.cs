using System.Net;
using System.Net.Http.Json;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>A run that succeeds past a failed step (on_error: continue) still lists that step's error.</summary>
public class ContinuedFailureTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    private const string Workflow = """
        {
          "workflow_id": "keeps_going",
          "steps": [
            { "step_id": "broken", "step_type": "template", "action": "render", "parameters": { "text": "{{data.missing}}" }, "on_error": "continue" },
            { "step_id": "after", "step_type": "template", "action": "render", "parameters": { "text": "still here" } }
          ],
          "variables": { "data": {} }
        }
        """;

    [Fact]
    public async Task Execute_and_run_detail_list_the_error_of_a_step_continued_past()
    {
        using var client = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Workflow))).StatusCode);

        var run = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "keeps_going" });

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var result = await run.JsonAsync();
        Assert.True(result["success"]!.GetValue<bool>(), result.ToJsonString());
        var broken = result["steps"]!.AsArray().Single(s => s!["step_id"]!.GetValue<string>() == "broken")!;
        Assert.Equal("failed", broken["status"]!.GetValue<string>());
        var expected = $"step 'broken' failed: {broken["error"]!.GetValue<string>()}";
        Assert.Equal([expected], result["errors"]!.AsArray().Select(e => e!.GetValue<string>()));

        var detail = await (await client.GetAsync($"/api/runs/{result["run_id"]!.GetValue<string>()}")).JsonAsync();
        Assert.Equal("succeeded", detail["status"]!.GetValue<string>());
        Assert.Equal([expected], detail["errors"]!.AsArray().Select(e => e!.GetValue<string>()));
    }
}
