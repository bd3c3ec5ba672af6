using System.Net;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>Workflow and prompt versions through the API: listed, two of them side by side, an earlier one restored as a new version.</summary>
public sealed class WorkflowVersionsTests : IClassFixture<ApiFactory>
{
    private readonly ApiFactory _factory;

    public WorkflowVersionsTests(ApiFactory factory) => _factory = factory;

    private static string Greeting(string text) => $$$"""
        {"workflow_id": "versioned_greeting", "name": "Greeting", "steps": [
          {"step_id": "hello", "step_type": "template", "action": "render", "parameters": {"text": "{{{text}}}"}},
          {"step_id": "bye", "step_type": "template", "action": "render", "parameters": {"text": "Bye"}}]}
        """;

    [Fact]
    public async Task Two_versions_show_side_by_side_and_an_earlier_one_is_restored_as_a_new_version()
    {
        using var api = await _factory.AdminAsync();
        await api.PostAsync("/api/workflows", ApiFactory.Json(Greeting("Hello")));
        await api.PutAsync("/api/workflows/versioned_greeting", ApiFactory.Json(Greeting("Hello, world")));

        var versions = (await (await api.GetAsync("/api/workflows/versioned_greeting/versions")).JsonAsync()).AsArray();
        Assert.Equal([2, 1], versions.Select(v => (int)v!["version"]!));
        Assert.True((bool)versions[0]!["current"]!);
        Assert.NotNull(versions[0]!["saved_at"]);
        Assert.All(versions, v => Assert.Equal(ApiFactory.AdminUser, (string?)v!["saved_by"]));

        var diff = await (await api.GetAsync("/api/workflows/versioned_greeting/diff")).JsonAsync();
        Assert.Equal(1, (int)diff["from"]!);
        Assert.Equal(2, (int)diff["to"]!);
        var old = diff["old"]!.AsArray();
        var now = diff["new"]!.AsArray();
        Assert.Equal(old.Count, now.Count);
        var changed = Enumerable.Range(0, old.Count).Single(i => (string?)old[i]!["change"] != "unchanged");
        Assert.Contains("\"text\": \"Hello\"", (string?)old[changed]!["text"]);
        Assert.Contains("\"text\": \"Hello, world\"", (string?)now[changed]!["text"]);
        Assert.Contains("\"step_id\": \"bye\"", string.Join("\n", now.Select(l => (string?)l!["text"])));

        var restored = await api.PostAsync("/api/workflows/versioned_greeting/versions/1/restore", null);
        Assert.Equal(HttpStatusCode.Created, restored.StatusCode);
        Assert.Equal("\"3\"", restored.Headers.ETag?.Tag);
        var current = await (await api.GetAsync("/api/workflows/versioned_greeting")).JsonAsync();
        Assert.Equal("Hello", (string?)current["steps"]![0]!["parameters"]!["text"]);
        var same = await (await api.GetAsync("/api/workflows/versioned_greeting/diff?from=1&to=3")).JsonAsync();
        Assert.False((bool)same["has_changes"]!);

        var missing = await (await api.GetAsync("/api/workflows/versioned_greeting/diff?from=9&to=3")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("no version 9", (string?)missing["detail"]);
        await (await api.PostAsync("/api/workflows/versioned_greeting/versions/9/restore", null)).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Two_prompt_versions_show_side_by_side_and_an_earlier_one_is_restored_as_a_new_version()
    {
        using var api = await _factory.AdminAsync();
        await api.PostAsync("/api/prompts", ApiFactory.Json("""{"template_id": "versioned_prompt", "name": "Summary", "template": "Summarise {{text}}\nin one line."}"""));
        await api.PutAsync("/api/prompts/versioned_prompt", ApiFactory.Json("""{"template_id": "versioned_prompt", "name": "Summary", "template": "Summarise {{text}}\nin three bullet points."}"""));

        var diff = await (await api.GetAsync("/api/prompts/versioned_prompt/diff?from=1&to=2")).JsonAsync();
        var old = diff["old"]!.AsArray();
        var now = diff["new"]!.AsArray();
        var changed = Enumerable.Range(0, old.Count).Where(i => (string?)old[i]!["change"] != "unchanged").ToList();
        Assert.Equal(["in one line."], changed.Select(i => (string?)old[i]!["text"]));
        Assert.Equal(["in three bullet points."], changed.Select(i => (string?)now[i]!["text"]));

        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/prompts/versioned_prompt/versions/1/restore", null)).StatusCode);
        Assert.Equal("Summarise {{text}}\nin one line.", (string?)(await (await api.GetAsync("/api/prompts/versioned_prompt")).JsonAsync())["template"]);
        var versions = (await (await api.GetAsync("/api/prompts/versioned_prompt/versions")).JsonAsync()).AsArray();
        Assert.Equal([3, 2, 1], versions.Select(v => (int)v!["version"]!));
        Assert.All(versions, v => Assert.Equal(ApiFactory.AdminUser, (string?)v!["saved_by"]));
        Assert.All(versions, v => Assert.NotNull(v!["saved_at"]));
        await (await api.GetAsync("/api/prompts/versioned_prompt/diff?from=7")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Each_run_records_the_prompt_version_its_steps_rendered()
    {
        using var api = await _factory.AdminAsync();
        await api.PostAsync("/api/prompts", ApiFactory.Json("""{"template_id": "recorded_prompt", "name": "Greeting", "template": "Hello {{name}}"}"""));
        await api.PostAsync("/api/workflows", ApiFactory.Json("""
            {"workflow_id": "renders_recorded_prompt", "name": "Renders", "steps": [
              {"step_id": "greet", "step_type": "prompt", "action": "render", "parameters": {"template_id": "recorded_prompt", "variables": {"name": "Ada"}}},
              {"step_id": "plain", "step_type": "template", "action": "render", "parameters": {"text": "no prompt here"}}]}
            """));

        async Task<JsonNode> RunAsync()
        {
            var response = await api.PostAsync("/api/workflows/execute", ApiFactory.Json("""{"workflow_id": "renders_recorded_prompt", "wait": true}"""));
            var runId = (string)(await response.JsonAsync())["run_id"]!;
            return await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
        }

        var first = await RunAsync();
        await api.PutAsync("/api/prompts/recorded_prompt", ApiFactory.Json("""{"template_id": "recorded_prompt", "name": "Greeting", "template": "Good day {{name}}"}"""));
        var second = await RunAsync();

        foreach (var (run, version, text) in new[] { (first, 1, "Hello Ada"), (second, 2, "Good day Ada") })
        {
            var greet = run["steps"]![0]!;
            Assert.Equal(text, (string?)greet["output"]);
            var prompt = greet["ledger"]!["prompts"]!.AsArray().Single()!;
            Assert.Equal("recorded_prompt", (string?)prompt["template_id"]);
            Assert.Equal(version, (int)prompt["version"]!);
            Assert.Empty(greet["ledger"]!["calls"]!.AsArray());
            // a step that renders no prompt and calls no model carries no ledger at all
            Assert.Null(run["steps"]![1]!["ledger"]);
            Assert.Equal(0, (int)run["llm_totals"]!["calls"]!);
        }
    }
}
