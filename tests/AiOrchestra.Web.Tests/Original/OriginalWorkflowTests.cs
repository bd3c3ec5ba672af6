using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Integrations;

namespace AiOrchestra.Web.Tests.Original;

/// <summary>A workflow file in the original AI-Orchestra's spellings, saved, run against the fakes and exported back.</summary>
public sealed class OriginalWorkflowTests
{
    // Written for this test in the original's format.
    private const string OriginalFile = """
        {
          "id": "original_sop",
          "name": "SOP to GitHub and Notion",
          "description": "The original's own action names",
          "steps": [
            { "id": "sop", "type": "openai", "action": "generate_sop",
              "params": { "task_description": "{{task}}", "system_prompt": "You write SOPs." } },
            { "id": "commit", "type": "github", "action": "commit_file",
              "params": { "repo_name": "my-org/handbook", "file_path": "sops/{{slug}}.md", "content": "{{sop_output}}",
                          "message": "Add SOP", "branch": "main" } },
            { "id": "page", "type": "notion", "action": "create_page",
              "params": { "parent_id": "parent-page-1", "title": "SOP: {{task}}", "content": "{{sop_output}}" } }
          ],
          "variables": { "task": "Onboarding a new engineer", "slug": "onboarding" }
        }
        """;

    [Fact]
    public async Task An_original_workflow_file_saves_runs_against_the_services_and_exports_in_either_format()
    {
        await using var fakes = await FakeServer.StartAsync(ExampleWorkflowsTests.Providers);
        using var app = new IntegrationApp(fakes.Url);
        using var api = await app.AdminAsync();

        var created = await api.PostAsync("/api/workflows", new StringContent(OriginalFile, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var result = await IntegrationApp.ExecuteAsync(api, "original_sop");

        Assert.True((bool)result["success"]!, result.ToJsonString());
        var chat = JsonNode.Parse(fakes.Received.Single(r => r.Path == "/v1/chat/completions").Body)!;
        Assert.Equal("You write SOPs.", (string?)chat["messages"]![0]!["content"]);
        Assert.Contains("standard operating procedure", (string?)chat["messages"]![1]!["content"]);
        Assert.Contains("Onboarding a new engineer", (string?)chat["messages"]![1]!["content"]);
        var put = fakes.Received.Single(r => r.Method == "PUT");
        Assert.Equal("/repos/my-org/handbook/contents/sops/onboarding.md", put.Path);
        Assert.Equal(ExampleWorkflowsTests.Sop, Encoding.UTF8.GetString(Convert.FromBase64String((string)JsonNode.Parse(put.Body)!["content"]!)));
        var page = JsonNode.Parse(fakes.Received.Single(r => r is { Method: "POST", Path: "/v1/pages" }).Body)!;
        Assert.Equal("parent-page-1", (string?)page["parent"]!["page_id"]);

        var ours = await (await api.GetAsync("/api/workflows/original_sop")).JsonAsync();
        Assert.Equal("create_file", (string?)ours["steps"]![1]!["action"]);
        Assert.Equal("my-org/handbook", (string?)ours["steps"]![1]!["parameters"]!["repo"]);
        var original = await (await api.GetAsync("/api/workflows/original_sop?format=original")).JsonAsync();
        Assert.Equal("original_sop", (string?)original["id"]);
        Assert.Equal("commit_file", (string?)original["steps"]![1]!["action"]);
        Assert.Equal("sops/{{slug}}.md", (string?)original["steps"]![1]!["params"]!["file_path"]);
        Assert.Equal("parent-page-1", (string?)original["steps"]![2]!["params"]!["parent_id"]);
        await (await api.GetAsync("/api/workflows/original_sop?format=python")).ProblemAsync(HttpStatusCode.BadRequest);

        // the editor names the original's spellings beside ours
        using var browser = await app.BrowserAsync();
        var editor = await browser.GetStringAsync("/Workflows/Edit/original_sop");
        Assert.Contains("Also accepted: commit_file", editor);
        Assert.Contains("Also accepted: file_path.", editor);
        var exported = await browser.GetStringAsync("/Workflows/Edit/original_sop?handler=Export&format=original");
        Assert.Equal("commit_file", (string?)JsonNode.Parse(exported)!["steps"]![1]!["action"]);
    }

    [Fact]
    public async Task A_stored_prompt_in_the_originals_shape_brings_its_system_prompt_model_and_temperature_to_the_openai_step()
    {
        await using var fakes = await FakeServer.StartAsync(ExampleWorkflowsTests.Providers);
        using var app = new IntegrationApp(fakes.Url);
        using var api = await app.AdminAsync();
        await api.PostAsync("/api/prompts", new StringContent("""
            { "id": "sop_writer", "name": "SOP writer", "system_prompt": "You write SOPs for {team}.",
              "user_prompt": "Write a standard operating procedure for {task}.", "variables": ["team", "task"],
              "model": "gpt-4o", "temperature": 0.2 }
            """, Encoding.UTF8, "application/json"));
        await api.PostAsync("/api/workflows", new StringContent("""
            { "id": "prompted", "steps": [ { "id": "sop", "type": "openai", "action": "generate_completion",
              "params": { "template_id": "sop_writer", "variables": { "team": "support", "task": "refunds" } } } ] }
            """, Encoding.UTF8, "application/json"));

        var result = await IntegrationApp.ExecuteAsync(api, "prompted");

        Assert.True((bool)result["success"]!, result.ToJsonString());
        var chat = JsonNode.Parse(fakes.Received.Single(r => r.Path == "/v1/chat/completions").Body)!;
        Assert.Equal("You write SOPs for support.", (string?)chat["messages"]![0]!["content"]);
        Assert.Equal("Write a standard operating procedure for refunds.", (string?)chat["messages"]![1]!["content"]);
        Assert.Equal(("gpt-4o", 0.2), ((string?)chat["model"], Math.Round((double)chat["temperature"]!, 3)));
    }

    [Fact]
    public async Task The_step_catalog_lists_the_originals_names_as_also_accepted()
    {
        using var app = new IntegrationApp("http://127.0.0.1:9");
        using var api = await app.AdminAsync();

        var steps = (await (await api.GetAsync("/api/steps")).JsonAsync()).AsArray();

        var github = steps.Single(s => (string?)s!["name"] == "github")!;
        var createFile = github["actions"]!.AsArray().Single(a => (string?)a!["name"] == "create_file")!;
        Assert.Equal(["commit_file"], createFile["also_accepted"]!.AsArray().Select(n => (string?)n));
        var path = createFile["parameters"]!.AsArray().Single(p => (string?)p!["name"] == "path")!;
        Assert.Equal(["file_path"], path["also_accepted"]!.AsArray().Select(n => (string?)n));
    }
}
