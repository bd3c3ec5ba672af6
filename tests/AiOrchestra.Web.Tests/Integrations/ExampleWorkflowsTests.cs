using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>The shipped example workflows, run by the real app's background worker against fake providers.</summary>
public sealed class ExampleWorkflowsTests
{
    internal const string Answer = "An orchestrator runs the steps of a workflow in order. It passes each result on.";
    internal const string Summary = "Two emails: the meeting moved to 3 pm, and an invoice of 42 EUR is due soon.";
    internal const string Sop = "# SOP: Onboarding a new engineer\n\n## Purpose\n\nA calm first week.\n\n1. Prepare a laptop.\n2. Pair on day one.";

    /// <summary>
    /// Every provider on one server: OpenAI answers by what it was asked (streamed in a few chunks), Gmail and Notion as
    /// in their own tests, GitHub has no file yet and accepts the new one.
    /// </summary>
    internal static Task Providers(RecordedRequest request, HttpContext context) => request switch
    {
        { Path: "/v1/chat/completions" } => OpenAIStepTests.StreamAsync(context, Chunks(
            request.Body.Contains("Is this email important", StringComparison.Ordinal)
                ? (request.Body.Contains("Meeting moved", StringComparison.Ordinal) ? "yes" : "no")
            : request.Body.Contains("Summarise these emails", StringComparison.Ordinal) ? Summary
            : request.Body.Contains("standard operating procedure", StringComparison.Ordinal) ? Sop
            : Answer)),
        { Path: "/token" } => GmailStepTests.Gmail(request, context),
        { Path: var p } when p.StartsWith("/gmail/", StringComparison.Ordinal) => GmailStepTests.Gmail(request, context),
        { Path: var p } when p.StartsWith("/v1/", StringComparison.Ordinal) => NotionStepTests.Ok(request, context),
        { Method: "GET", Path: var p } when p.StartsWith("/repos/", StringComparison.Ordinal) =>
            FakeServer.Json(context, 404, """{"message": "Not Found"}"""),
        { Method: "PUT" } => FakeServer.Json(context, 201, GitHubStepTests.ChangeSetJson),
        _ => FakeServer.Json(context, 404, """{"message": "Not Found"}"""),
    };

    /// <summary>The text cut into chunks of about ten characters, as a model streams it.</summary>
    internal static string[] Chunks(string text) =>
        Enumerable.Range(0, (text.Length + 9) / 10).Select(i => text.Substring(i * 10, Math.Min(10, text.Length - i * 10))).ToArray();

    [Fact]
    public async Task The_three_examples_run_end_to_end_with_their_outputs_chained_from_step_to_step()
    {
        await using var fakes = await FakeServer.StartAsync(Providers);
        using var app = new IntegrationApp(fakes.Url);
        using var api = await app.AdminAsync();

        // the administrator created at start-up has the examples from data/examples/workflows
        var workflows = (await (await api.GetAsync("/api/workflows")).JsonAsync()).AsArray().Select(w => (string?)w!["workflow_id"]).ToList();
        Assert.Contains("simple_ai_completion", workflows);
        Assert.Contains("email_to_notion", workflows);
        Assert.Contains("generate_sop_to_github", workflows);

        var simple = await IntegrationApp.ExecuteAsync(api, "simple_ai_completion");
        Assert.True((bool)simple["success"]!, simple.ToJsonString());
        Assert.Equal(Answer, (string?)simple["outputs"]!["complete"]);

        var email = await IntegrationApp.ExecuteAsync(api, "email_to_notion", new { notion_page_id = "parent-page-1" });
        Assert.True((bool)email["success"]!, email.ToJsonString());
        Assert.Equal(Summary, (string?)email["outputs"]!["summarize"]);
        Assert.Equal("page-123", (string?)email["outputs"]!["save"]!["id"]);

        var sop = await IntegrationApp.ExecuteAsync(api, "generate_sop_to_github");
        Assert.True((bool)sop["success"]!, sop.ToJsonString());
        Assert.True((bool)sop["outputs"]!["commit_sop"]!["created"]!);

        var received = fakes.Received;
        // {{fetch_output}}: the messages Gmail listed are in the prompt OpenAI was sent
        var summaryPrompt = received.Single(r => r.Path == "/v1/chat/completions" && r.Body.Contains("Summarise these emails", StringComparison.Ordinal));
        var prompt = (string)JsonNode.Parse(summaryPrompt.Body)!["messages"]!.AsArray().Last()!["content"]!;
        Assert.Contains("Meeting moved", prompt);
        Assert.Contains("Invoice", prompt);
        // {{summarize_output}}: the streamed summary, whole, is the Notion page's content under the given parent
        var page = JsonNode.Parse(received.Single(r => r is { Method: "POST", Path: "/v1/pages" }).Body)!;
        Assert.Equal("parent-page-1", (string?)page["parent"]!["page_id"]);
        Assert.Contains(Summary, page["children"]!.ToJsonString());
        // {{generate_sop_output}}: the SOP is the file committed at the example's path and repository
        var put = received.Single(r => r.Method == "PUT");
        Assert.Equal("/repos/my-org/handbook/contents/sops/onboarding.md", put.Path);
        var file = JsonNode.Parse(put.Body)!;
        Assert.Equal(Sop, Encoding.UTF8.GetString(Convert.FromBase64String((string)file["content"]!)));
        Assert.Equal("Add SOP: Onboarding a new engineer", (string?)file["message"]);

        // what the worker stored is what the API reports
        var stored = await (await api.GetAsync($"/api/runs/{email["run_id"]}")).JsonAsync();
        Assert.Equal("succeeded", (string?)stored["status"]);
        Assert.Equal(["fetch", "summarize", "save"], stored["steps"]!.AsArray().Select(s => (string?)s!["step_id"]));
        Assert.All(stored["steps"]!.AsArray(), s => Assert.Equal("succeeded", (string?)s!["status"]));
        Assert.Equal(Summary, (string?)stored["steps"]![1]!["output"]);
    }

    [Fact]
    public async Task Email_to_notion_per_email_writes_a_page_only_for_the_email_the_model_marks_important()
    {
        await using var fakes = await FakeServer.StartAsync(Providers);
        using var app = new IntegrationApp(fakes.Url);
        using var api = await app.AdminAsync();

        var result = await IntegrationApp.ExecuteAsync(api, "email_to_notion_per_email", new { notion_page_id = "parent-page-1" });

        Assert.True((bool)result["success"]!, result.ToJsonString());
        Assert.Equal("""["yes","no"]""", result["outputs"]!["triage"]!.ToJsonString());
        var pages = result["outputs"]!["pages"]!.AsArray();
        Assert.Equal("page-123", (string?)pages[0]!["id"]);
        Assert.Null(pages[1]);
        var posted = fakes.Received.Where(r => r is { Method: "POST", Path: "/v1/pages" }).ToList();
        var page = JsonNode.Parse(Assert.Single(posted).Body)!;
        Assert.Equal("parent-page-1", (string?)page["parent"]!["page_id"]);
        Assert.Contains("Meeting moved", page["properties"]!.ToJsonString());
        Assert.Equal(2, fakes.Received.Count(r => r.Path == "/v1/chat/completions"));
    }

    [Fact]
    public async Task The_triage_example_asks_the_local_model_for_json_and_reads_its_fields_without_any_key()
    {
        await using var fakes = await FakeServer.StartAsync((request, context) => request.Path == "/local/v1/chat/completions"
            ? OpenAIStepTests.StreamAsync(context, Chunks("""{"important": true, "category": "action", "reason": "a signature is due today"}"""))
            : FakeServer.Json(context, 404, """{"error": {"message": "not here"}}"""));
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?> { ["OpenAI:ApiKey"] = null, ["Anthropic:ApiKey"] = null });
        using var api = await app.AdminAsync();

        var triage = await IntegrationApp.ExecuteAsync(api, "email_triage");

        Assert.True((bool)triage["success"]!, triage.ToJsonString());
        Assert.True((bool)triage["outputs"]!["triage"]!["important"]!);
        Assert.Equal("Contract needs your signature by 5 pm: important=true, action (a signature is due today)", (string?)triage["outputs"]!["verdict"]);
        var sent = JsonNode.Parse(Assert.Single(fakes.Received).Body)!;
        Assert.Equal("json_schema", (string?)sent["response_format"]!["type"]);
        Assert.Equal("llama3.2", (string?)sent["model"]);
    }

    [Fact]
    public async Task The_triage_each_example_asks_the_local_model_about_every_email_and_branches_on_its_json_without_any_key()
    {
        await using var fakes = await FakeServer.StartAsync((request, context) =>
        {
            if (request.Path != "/local/v1/chat/completions")
            {
                return FakeServer.Json(context, 404, """{"error": {"message": "not here"}}""");
            }
            var prompt = request.Body;
            var verdict = prompt.Contains("signature", StringComparison.Ordinal)
                ? """{"subject": "Contract needs your signature by 5 pm", "important": true, "category": "action", "reason": "a signature is due today"}"""
                : prompt.Contains("gardening", StringComparison.Ordinal)
                    ? """{"subject": "This week in gardening", "important": false, "category": "newsletter", "reason": "a newsletter"}"""
                    : """{"subject": "Lunch next week?", "important": false, "category": "question", "reason": "no rush"}""";
            return OpenAIStepTests.StreamAsync(context, Chunks(verdict));
        });
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?> { ["OpenAI:ApiKey"] = null, ["Anthropic:ApiKey"] = null });
        using var api = await app.AdminAsync();

        var run = await IntegrationApp.ExecuteAsync(api, "email_triage_each");

        Assert.True((bool)run["success"]!, run.ToJsonString());
        Assert.Equal([true, false, false], run["outputs"]!["triage"]!.AsArray().Select(v => (bool)v!["important"]!));
        Assert.Equal("""["TODO today: Contract needs your signature by 5 pm (a signature is due today)",null,null]""", run["outputs"]!["act_now"]!.ToJsonString());
        Assert.Equal("""[null,"Filed as newsletter: This week in gardening","Filed as question: Lunch next week?"]""", run["outputs"]!["file_away"]!.ToJsonString());
        Assert.Equal(3, fakes.Received.Count);
        Assert.All(fakes.Received, r => Assert.Equal("json_schema", (string?)JsonNode.Parse(r.Body)!["response_format"]!["type"]));
    }
}
