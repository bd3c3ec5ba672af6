using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>What the original project's client does: log in, list workflows, run one, use a prompt.</summary>
public class SeedClientFlowTests(ApiFactory app) : IClassFixture<ApiFactory>
{
    // the seed's later short spellings (id, type, params) read as the long ones
    private const string Greeting = """
        {
          "id": "greeting",
          "name": "Greeting",
          "steps": [
            { "id": "hello", "type": "template", "action": "render", "params": { "text": "Hello, {{name}}!" } },
            { "id": "shout", "type": "template", "action": "render", "params": { "text": "{{hello_output}} Welcome to {{place}}." } }
          ],
          "variables": { "name": "world", "place": "the orchestra" }
        }
        """;

    [Fact]
    public async Task Login_list_execute_and_read_outputs()
    {
        using var anonymous = app.Anonymous();
        var login = await anonymous.PostAsJsonAsync("/api/auth/login", new { user_id = ApiFactory.AdminUser, password = ApiFactory.AdminPassword });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var token = await login.JsonAsync();
        Assert.Equal("bearer", token["token_type"]!.GetValue<string>());
        Assert.Equal(60 * 60, token["expires_in"]!.GetValue<int>());
        using var client = app.WithToken(token["access_token"]!.GetValue<string>());

        var created = await client.PostAsync("/api/workflows", ApiFactory.Json(Greeting));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/workflows/greeting", created.Headers.Location?.OriginalString);
        var list = await (await client.GetAsync("/api/workflows")).JsonAsync();
        Assert.Contains(list.AsArray(), w => w!["workflow_id"]!.GetValue<string>() == "greeting" && w["version"]!.GetValue<int>() == 1);
        var stored = await (await client.GetAsync("/api/workflows/greeting")).JsonAsync();
        Assert.Equal("template", stored["steps"]![0]!["step_type"]!.GetValue<string>());

        var run = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "greeting", variables = new { name = "Ada" } });
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var result = await run.JsonAsync();
        Assert.True(result["success"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal("Hello, Ada!", result["outputs"]!["hello"]!.GetValue<string>());
        Assert.Equal("Hello, Ada! Welcome to the orchestra.", result["outputs"]!["shout"]!.GetValue<string>());
        Assert.Empty(result["errors"]!.AsArray());
        Assert.Equal(["hello", "shout"], result["steps"]!.AsArray().Select(s => s!["step_id"]!.GetValue<string>()));
        // the original's execute answer, field by field: its status word wins, ours is run_status
        Assert.Equal("greeting", (string?)result["workflow_id"]);
        Assert.Equal("completed", (string?)result["status"]);
        Assert.Equal("succeeded", (string?)result["run_status"]);
        Assert.Equal(["hello", "shout"], result["steps_executed"]!.AsArray().Select(s => (string?)s));
        Assert.True(DateTimeOffset.Parse((string)result["started_at"]!) <= DateTimeOffset.Parse((string)result["completed_at"]!));
        Assert.Equal("Hello, Ada!", (string?)result["outputs"]!["hello"]);
        Assert.Contains(list.AsArray(), w => (string?)w!["id"] == "greeting" && (string?)w["name"] == "Greeting");

        var runId = result["run_id"]!.GetValue<string>();
        var detail = await (await client.GetAsync($"/api/runs/{runId}")).JsonAsync();
        Assert.Equal("succeeded", detail["status"]!.GetValue<string>());
        Assert.Equal("Ada", detail["inputs"]!["name"]!.GetValue<string>());
        var log = await (await client.GetAsync($"/api/runs/{runId}/log")).JsonAsync();
        Assert.Equal(runId, log["execution_id"]!.GetValue<string>());
        Assert.Equal("greeting", log["workflow_id"]!.GetValue<string>());

        var runs = await (await client.GetAsync("/api/runs?workflow_id=greeting&status=succeeded")).JsonAsync();
        Assert.Contains(runs["runs"]!.AsArray(), r => r!["run_id"]!.GetValue<string>() == runId);
        var none = await (await client.GetAsync("/api/runs?status=failed&workflow_id=greeting")).JsonAsync();
        Assert.Empty(none["runs"]!.AsArray());
    }

    [Fact]
    public async Task Execute_merges_variables_the_workflow_does_not_declare_as_the_original_did()
    {
        using var client = await app.AdminAsync();
        await client.PostAsync("/api/workflows", ApiFactory.Json("""
            { "id": "undeclared", "steps": [ { "id": "line", "type": "transform", "action": "format", "params": { "template": "Dear {who}" } } ] }
            """));

        var result = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "undeclared", variables = new { who = "Ada" } })).JsonAsync();

        Assert.True((bool)result["success"]!, result.ToJsonString());
        Assert.Equal("Dear Ada", (string?)result["outputs"]!["line"]);
    }

    [Fact]
    public async Task A_prompt_in_the_originals_shape_saves_renders_with_single_braces_and_a_second_post_replaces_it()
    {
        using var client = await app.AdminAsync();
        var original = new
        {
            id = "outline",
            name = "Outline",
            description = "An outline",
            system_prompt = "You write for {audience}.",
            user_prompt = "Outline a post about {topic}.",
            variables = new[] { "audience", "topic" },
            model = "gpt-4o",
            temperature = 0.3,
        };

        var created = await client.PostAsJsonAsync("/api/prompts", original);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.JsonAsync();
        Assert.Equal(("success", "outline"), ((string?)body["status"], (string?)body["template_id"]));
        Assert.Equal(["audience", "topic"], body["variables"]!.AsArray().Select(v => (string?)v));
        var rendered = await client.PostAsJsonAsync("/api/prompts/outline/render", new { variables = new { topic = "queues", audience = "engineers" } });
        Assert.Equal("Outline a post about queues.", (string?)(await rendered.JsonAsync())["rendered"]);
        var missing = await client.PostAsJsonAsync("/api/prompts/outline/render", new { variables = new { topic = "queues" } });
        Assert.Equal("missing values for 'audience'", (string?)(await missing.ProblemAsync(HttpStatusCode.BadRequest))["errors"]!["variables"]![0]);

        var replaced = await client.PostAsJsonAsync("/api/prompts", original with { user_prompt = "Outline {topic} in five points." });
        Assert.Equal(HttpStatusCode.Created, replaced.StatusCode);
        var stored = await (await client.GetAsync("/api/prompts/outline")).JsonAsync();
        Assert.Equal("Outline {topic} in five points.", (string?)stored["user_prompt"]);
        Assert.Equal(("You write for {audience}.", "gpt-4o", 0.3), ((string?)stored["system_prompt"], (string?)stored["model"], (double)stored["temperature"]!));
        // our own shape keeps refusing a taken id
        await (await client.PostAsJsonAsync("/api/prompts", new { template_id = "outline", template = "x" })).ProblemAsync(HttpStatusCode.Conflict);
        // nothing is lost: the replaced text is the prompt's version 1
        var versions = (await (await client.GetAsync("/api/prompts/outline/versions")).JsonAsync()).AsArray();
        Assert.Equal([2, 1], versions.Select(v => (int)v!["version"]!));
        Assert.Equal("Outline a post about {topic}.", (string?)versions[1]!["template"]);
        await (await client.GetAsync("/api/prompts/nobody/versions")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Execute_without_waiting_answers_202_with_the_run_location()
    {
        using var client = await app.AdminAsync();
        await client.PostAsync("/api/workflows", ApiFactory.Json(Greeting.Replace("\"greeting\"", "\"greeting_later\"")));

        var run = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "greeting_later", wait = false });

        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        var runId = (await run.JsonAsync())["run_id"]!.GetValue<string>();
        Assert.Equal($"/api/runs/{runId}", run.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(run.Headers.Location)).StatusCode);
    }

    [Fact]
    public async Task Update_keeps_a_new_version_and_delete_removes()
    {
        using var client = await app.AdminAsync();
        var body = Greeting.Replace("\"greeting\"", "\"versioned\"");
        var created = await client.PostAsync("/api/workflows", ApiFactory.Json(body));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(("success", "versioned"), ((string?)(await created.JsonAsync())["status"], (string?)(await created.JsonAsync())["workflow_id"]));
        // the original had no PUT: a POST of an existing id in its shape (id) replaces it as a new version ...
        var replaced = await client.PostAsync("/api/workflows", ApiFactory.Json(body.Replace("Greeting", "Greeting again")));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal("\"2\"", replaced.Headers.ETag?.Tag);
        Assert.Equal("success", (string?)(await replaced.JsonAsync())["status"]);
        // ... while our own shape (workflow_id) is refused
        await (await client.PostAsync("/api/workflows", ApiFactory.Json(body.Replace("\"id\": \"versioned\"", "\"workflow_id\": \"versioned\""))))
            .ProblemAsync(HttpStatusCode.Conflict);

        var updated = await client.PutAsync("/api/workflows/versioned", ApiFactory.Json(body.Replace("Greeting", "Greeting v2")));

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("\"3\"", updated.Headers.ETag?.Tag);
        var got = await client.GetAsync("/api/workflows/versioned");
        Assert.Equal("Greeting v2", (await got.JsonAsync())["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/workflows/versioned")).StatusCode);
        await (await client.GetAsync("/api/workflows/versioned")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Create_render_update_and_delete_a_prompt()
    {
        using var client = await app.AdminAsync();
        var created = await client.PostAsJsonAsync("/api/prompts", new
        {
            id = "haiku",
            name = "Haiku",
            description = "A haiku on a topic",
            template = "Write a haiku about {{topic}} in {{language}}.",
            variables = new[] { "topic", "language" },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var prompt = await created.JsonAsync();
        Assert.Equal("haiku", prompt["template_id"]!.GetValue<string>());
        Assert.Equal(["topic", "language"], prompt["variables"]!.AsArray().Select(v => v!.GetValue<string>()));

        var rendered = await client.PostAsJsonAsync("/api/prompts/haiku/render", new { variables = new { topic = "rain", language = "English" } });
        Assert.Equal(HttpStatusCode.OK, rendered.StatusCode);
        Assert.Equal("Write a haiku about rain in English.", (await rendered.JsonAsync())["rendered"]!.GetValue<string>());

        var missing = await client.PostAsJsonAsync("/api/prompts/haiku/render", new { variables = new { topic = "rain" } });
        var problem = await missing.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("language", problem["errors"]!["variables"]![0]!.GetValue<string>());

        var updated = await client.PutAsJsonAsync("/api/prompts/haiku", new { template_id = "haiku", name = "Haiku", template = "A haiku about {{topic}}." });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(["topic"], (await updated.JsonAsync())["variables"]!.AsArray().Select(v => v!.GetValue<string>()));
        var list = await (await client.GetAsync("/api/prompts")).JsonAsync();
        Assert.Contains(list.AsArray(), p => p!["template_id"]!.GetValue<string>() == "haiku");

        Assert.Equal("success", (string?)prompt["status"]);
        Assert.Contains(list.AsArray(), p => (string?)p!["id"] == "haiku");
        var deleted = await client.DeleteAsync("/api/prompts/haiku");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("success", (string?)(await deleted.JsonAsync())["status"]);
        await (await client.GetAsync("/api/prompts/haiku")).ProblemAsync(HttpStatusCode.NotFound);
    }
}
