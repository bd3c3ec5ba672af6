using System.Net;
using System.Net.Http.Json;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>Conditions, loops and parallel branches through the API and the background worker, stored step by step and item by item.</summary>
public class ControlFlowApiTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    private const string Workflow = """
        {
          "workflow_id": "flow_api",
          "steps": [
            { "step_id": "start", "step_type": "template", "action": "render", "parameters": { "text": "go" } },
            { "step_id": "each", "step_type": "template", "action": "render", "parameters": { "text": "{{item_index}}={{item}}" },
              "for_each": "{{names}}", "concurrency": 2, "depends_on": ["start"] },
            { "step_id": "maybe", "step_type": "template", "action": "render", "parameters": { "text": "many" },
              "when": "length(names) > 2", "depends_on": ["start"] },
            { "step_id": "join", "step_type": "template", "action": "render", "parameters": { "text": "{{each_output}} [{{maybe_output}}]" },
              "depends_on": ["each", "maybe"] }
          ],
          "variables": { "names": ["ada", "grace"] }
        }
        """;

    [Fact]
    public async Task A_run_with_a_loop_a_false_condition_and_parallel_branches_reports_each_step_and_stores_each_item()
    {
        using var client = await app.AdminAsync();
        var saved = await client.PostAsync("/api/workflows", ApiFactory.Json(Workflow));
        Assert.True(saved.StatusCode == HttpStatusCode.Created, await saved.Content.ReadAsStringAsync());

        var result = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "flow_api" })).JsonAsync();

        Assert.True(result["success"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(
            ["start:succeeded", "each:succeeded", "maybe:skipped", "join:succeeded"],
            result["steps"]!.AsArray().Select(s => $"{s!["step_id"]}:{s["status"]}"));
        Assert.Equal("""["0=ada","1=grace"]""", result["outputs"]!["each"]!.ToJsonString());
        Assert.Equal("""["0=ada","1=grace"] []""", result["outputs"]!["join"]!.GetValue<string>());
        Assert.Null(result["steps"]!.AsArray().Single(s => (string?)s!["step_id"] == "maybe")!["output"]);

        var runId = result["run_id"]!.GetValue<string>();
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var items = (await db.RunStepItems.Where(i => i.RunId == runId).OrderBy(i => i.ItemIndex).ToListAsync())
            .Select(i => $"{i.StepId}[{i.ItemIndex}] {i.Status} {i.Output}").ToList();
        Assert.Equal(["each[0] Succeeded \"0=ada\"", "each[1] Succeeded \"1=grace\""], items);
    }

    [Fact]
    public async Task A_workflow_with_a_broken_condition_is_refused_with_the_field_and_position()
    {
        using var client = await app.AdminAsync();
        var broken = Workflow.Replace("flow_api", "flow_broken").Replace("length(names) > 2", "length(names) >> 2");

        var response = await client.PostAsync("/api/workflows", ApiFactory.Json(broken));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("steps[2].when", await response.Content.ReadAsStringAsync());
        Assert.Contains("at position 15", await response.Content.ReadAsStringAsync());
    }
}
