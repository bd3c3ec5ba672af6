using System.Net;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>
/// The workflow step through the API: a child run linked both ways, its outputs as the step's, one child per item,
/// the depth limit and cycles at validation and at run time, unknown and other users' workflows. One worker slot:
/// a parent waiting for its child must not starve the pool.
/// </summary>
public sealed class SubWorkflowApiTests(SubWorkflowApiTests.OneSlotApp app) : IClassFixture<SubWorkflowApiTests.OneSlotApp>
{
    public sealed class OneSlotApp : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["Runs:Concurrency"] = "1",
            ["Runs:MaxWorkflowDepth"] = "2",
        };
    }

    private static string Template(string id, string text, string variables = "{}") => $$"""
        { "workflow_id": "{{id}}", "steps": [ { "step_id": "say", "step_type": "template", "action": "render", "parameters": { "text": "{{text}}" } } ],
          "variables": {{variables}} }
        """;

    private static string Runs(string id, string target, string variables = "{}", string stepExtra = "", string childVariables = "{}") => $$"""
        { "workflow_id": "{{id}}", "steps": [ { "step_id": "sub", "step_type": "workflow", "action": "run",
            "parameters": { "workflow_id": "{{target}}", "variables": {{childVariables}} } {{stepExtra}} } ],
          "variables": {{variables}} }
        """;

    [Fact]
    public async Task A_child_run_gives_its_outputs_to_the_step_and_is_linked_both_ways()
    {
        using var client = await app.AdminAsync();
        await CreateAsync(client, Template("greet", "Hello {{name}}", """{ "name": "" }"""));
        await CreateAsync(client, Runs("welcome", "greet", """{ "who": "" }""", childVariables: """{ "name": "{{who}}" }"""));

        var run = await ExecuteAsync(client, "welcome", new { who = "Ada" });

        Assert.True(run["success"]!.GetValue<bool>(), run.Text());
        Assert.Equal("Hello Ada", (string?)run["outputs"]!["sub"]!["say"]);
        var parentId = (string)run["run_id"]!;
        var parent = await (await client.GetAsync($"/api/runs/{parentId}")).JsonAsync();
        var child = Assert.Single(parent["child_runs"]!.AsArray())!;
        Assert.Equal(("greet", "sub", null, "succeeded"), ((string?)child["workflow_id"], (string?)child["step_id"], (int?)child["item_index"], (string?)child["status"]));

        var childRun = await (await client.GetAsync($"/api/runs/{child["run_id"]}")).JsonAsync();
        Assert.Equal(parentId, (string?)childRun["parent_run_id"]);
        Assert.Equal("sub", (string?)childRun["parent_step_id"]);
        Assert.Equal($"workflow:{parentId}", (string?)childRun["origin"]);
        Assert.Equal("Hello Ada", (string?)childRun["outputs"]!["say"]);
        Assert.Equal("Ada", (string?)childRun["inputs"]!["name"]);
    }

    [Fact]
    public async Task With_for_each_each_item_gets_its_own_child_run()
    {
        using var client = await app.AdminAsync();
        await CreateAsync(client, Template("shout", "{{word}}!", """{ "word": "" }"""));
        await CreateAsync(client, Runs("shout_all", "shout", """{ "words": ["a", "b", "c"] }""", """, "for_each": "{{words}}" """, """{ "word": "{{item}}" }"""));

        var run = await ExecuteAsync(client, "shout_all", new { });

        Assert.True(run["success"]!.GetValue<bool>(), run.Text());
        Assert.Equal("""[{"say":"a!"},{"say":"b!"},{"say":"c!"}]""", run["outputs"]!["sub"]!.Text());
        var parent = await (await client.GetAsync($"/api/runs/{run["run_id"]}")).JsonAsync();
        var children = parent["child_runs"]!.AsArray();
        Assert.Equal([0, 1, 2], children.Select(c => (int)c!["item_index"]!).Order());
        Assert.Equal(3, children.Select(c => (string?)c!["run_id"]).Distinct().Count());
        Assert.All(children, c => Assert.Equal("succeeded", (string?)c!["status"]));
    }

    [Fact]
    public async Task A_workflow_running_itself_directly_or_through_stored_workflows_is_refused_when_saved()
    {
        using var client = await app.AdminAsync();
        var self = await (await client.PostAsync("/api/workflows", ApiFactory.Json(Runs("myself", "myself")))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("steps[0].parameters.workflow_id", self.Text());
        Assert.Contains("would run itself", self.Text());

        await CreateAsync(client, Template("ring_b", "end"));
        await CreateAsync(client, Runs("ring_a", "ring_b"));
        var closing = await client.PutAsync("/api/workflows/ring_b", ApiFactory.Json(Runs("ring_b", "ring_a")));
        var problem = await closing.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("'ring_a' runs 'ring_b' again (ring_b → ring_a → ring_b)", problem.Text());
    }

    [Fact]
    public async Task A_chain_deeper_than_the_limit_is_refused_when_saved()
    {
        using var client = await app.AdminAsync();
        await CreateAsync(client, Template("deep_3", "bottom"));
        await CreateAsync(client, Runs("deep_2", "deep_3"));
        await CreateAsync(client, Runs("deep_1", "deep_2"));

        var response = await client.PostAsync("/api/workflows", ApiFactory.Json(Runs("deep_0", "deep_1")));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("3 deep (deep_0 → deep_1 → deep_2 → deep_3), over the limit of 2 (Runs__MaxWorkflowDepth)", problem.Text());
    }

    [Fact]
    public async Task Cycles_and_depth_validation_cannot_see_fail_the_step_at_run_time_with_the_reason()
    {
        using var client = await app.AdminAsync();
        // the id comes from a variable, so only the run can tell
        await CreateAsync(client, Runs("loop_b", "{{target}}", """{ "target": "loop_a" }"""));
        await CreateAsync(client, Runs("loop_a", "loop_b"));
        var cycle = await ExecuteAsync(client, "loop_a", new { });
        Assert.False(cycle["success"]!.GetValue<bool>());
        Assert.Contains("workflow 'loop_a' is already running above this step (loop_a → loop_b → loop_a)", cycle.Text());

        await CreateAsync(client, Template("lvl_4", "bottom"));
        await CreateAsync(client, Runs("lvl_3", "{{target}}", """{ "target": "lvl_4" }"""));
        await CreateAsync(client, Runs("lvl_2", "lvl_3"));
        await CreateAsync(client, Runs("lvl_1", "lvl_2"));
        var deep = await ExecuteAsync(client, "lvl_1", new { });
        Assert.False(deep["success"]!.GetValue<bool>());
        Assert.Contains("sub-workflows would nest 3 deep (lvl_1 → lvl_2 → lvl_3 → lvl_4), over the limit of 2 (Runs__MaxWorkflowDepth)", deep.Text());
        // the children that did start are finished, failed, and linked
        var parent = await (await client.GetAsync($"/api/runs/{deep["run_id"]}")).JsonAsync();
        var child = Assert.Single(parent["child_runs"]!.AsArray())!;
        Assert.Equal("failed", (string?)child["status"]);
    }

    [Fact]
    public async Task Another_users_or_an_unknown_workflow_is_refused_when_saved_and_fails_the_step_at_run_time()
    {
        using var other = await app.NewUserAsync("sub-other");
        await CreateAsync(other, Template("theirs", "private"));
        using var client = await app.AdminAsync();

        foreach (var target in new[] { "theirs", "nowhere" })
        {
            var refused = await client.PostAsync("/api/workflows", ApiFactory.Json(Runs($"to_{target}", target)));
            var problem = await refused.ProblemAsync(HttpStatusCode.BadRequest);
            Assert.Contains($"there is no workflow '{target}' among yours; save it first, or check the id", problem.Text());
        }

        await CreateAsync(client, Runs("to_any", "{{target}}", """{ "target": "" }"""));
        var run = await ExecuteAsync(client, "to_any", new { target = "theirs" });
        Assert.False(run["success"]!.GetValue<bool>());
        Assert.Contains("step 'sub' failed: there is no workflow 'theirs' among yours", run.Text());
        var parent = await (await client.GetAsync($"/api/runs/{run["run_id"]}")).JsonAsync();
        Assert.Empty(parent["child_runs"]!.AsArray());
    }

    [Fact]
    public async Task A_parent_resumed_after_its_child_finished_takes_the_childs_outputs_without_running_it_again()
    {
        using var client = await app.AdminAsync();
        await CreateAsync(client, Template("once", "ran at {{when}}", """{ "when": "" }"""));
        await CreateAsync(client, Runs("resumes", "once", childVariables: """{ "when": "first" }"""));
        var run = await ExecuteAsync(client, "resumes", new { });
        var parentId = (string)run["run_id"]!;
        var childId = (string)(await (await client.GetAsync($"/api/runs/{parentId}")).JsonAsync())["child_runs"]![0]!["run_id"]!;
        var childStepStarted = await ScalarAsync($"SELECT started_at FROM run_steps WHERE run_key = (SELECT key FROM runs WHERE id = '{childId}')");

        // as after a crash between the child's finish and the parent's step being written: the parent running again,
        // its workflow step unrecorded, its lease run out; the worker takes it back at its next claim
        await ScalarAsync($"DELETE FROM run_steps WHERE run_key = (SELECT key FROM runs WHERE id = '{parentId}')");
        await ScalarAsync($"UPDATE runs SET status = 'running', finished_at = NULL, lease_owner = 'a-process-that-died', lease_expires_at = 0 WHERE id = '{parentId}'");
        await ExecuteAsync(client, "once", new { when = "wake the worker" });

        var resumed = await FinishedAsync(client, parentId);
        Assert.Equal("succeeded", (string?)resumed["status"]);
        Assert.Equal("ran at first", (string?)resumed["outputs"]!["sub"]!["say"]);
        Assert.Equal(childId, (string?)Assert.Single(resumed["child_runs"]!.AsArray())!["run_id"]);
        Assert.Equal(childStepStarted, await ScalarAsync($"SELECT started_at FROM run_steps WHERE run_key = (SELECT key FROM runs WHERE id = '{childId}')"));
    }

    [Fact]
    public async Task The_child_run_entry_point_itself_refuses_a_child_past_the_depth_limit_or_in_a_cycle()
    {
        // what an agent's workflow tools call directly, without the workflow step's own check in front
        var children = app.Services.GetRequiredService<AiOrchestra.Engine.Execution.IChildRuns>();
        AiOrchestra.Engine.Execution.ChildRun Request(string workflowId, params string[] path) => new()
        {
            ParentRunId = "no-such-run", OwnerId = "no-such-owner", ParentStepId = "tool", ParentStepIndex = 0, WorkflowId = workflowId, Path = path,
        };

        var deep = await children.RunAsync(Request("d", "a", "b", "c"), CancellationToken.None);
        var cycle = await children.RunAsync(Request("a", "a", "b"), CancellationToken.None);

        Assert.Equal((null, false), (deep.RunId, deep.Succeeded));
        Assert.Contains("over the limit of 2 (Runs__MaxWorkflowDepth)", deep.Error);
        Assert.Equal((null, false), (cycle.RunId, cycle.Succeeded));
        Assert.Contains("(a → b → a)", cycle.Error);
    }

    private Task<object?> ScalarAsync(string sql) => Store.StoredSql.ScalarAsync(app.Services, sql);

    /// <summary>Polls the run until it is finished; the bound only turns a hang into a failure.</summary>
    private static async Task<JsonNode> FinishedAsync(HttpClient client, string runId)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var run = await (await client.GetAsync($"/api/runs/{runId}")).JsonAsync();
            if ((string?)run["status"] is "succeeded" or "failed" or "cancelled")
            {
                return run;
            }
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), run.Text());
            await Task.Delay(20);
        }
    }

    private static async Task CreateAsync(HttpClient client, string json)
    {
        var response = await client.PostAsync("/api/workflows", ApiFactory.Json(json));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonNode> ExecuteAsync(HttpClient client, string workflowId, object variables)
    {
        var response = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = workflowId, variables });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }
}

internal static class ReadableJson
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The JSON with quotes and arrows as they are, so messages can be searched for.</summary>
    public static string Text(this JsonNode node) => node.ToJsonString(Options);
}
