using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

public sealed class IntegrationSecretsTests
{
    private static readonly (string Type, string Action, Func<JsonObject> Parameters)[] Calls =
    [
        ("openai", "generate_completion", () => new JsonObject { ["prompt"] = "hi" }),
        ("openai", "chat_completion", () => new JsonObject { ["prompt"] = "hi" }),
        ("openai", "summarize", () => new JsonObject { ["text"] = "long text" }),
        ("github", "create_issue", () => new JsonObject { ["repo"] = "octo/handbook", ["title"] = "t" }),
        ("github", "update_issue", () => new JsonObject { ["repo"] = "octo/handbook", ["number"] = 42, ["state"] = "closed" }),
        ("github", "create_file", () => new JsonObject { ["repo"] = "octo/handbook", ["path"] = "docs/sop.md", ["content"] = "x" }),
        ("github", "list_issues", () => new JsonObject { ["repo"] = "octo/handbook", ["labels"] = new JsonArray("bug") }),
        ("github", "list_repos", () => new JsonObject()),
        ("github", "create_branch", () => new JsonObject { ["repo"] = "octo/handbook", ["branch"] = "b", ["from"] = "main" }),
        ("notion", "create_page", () => new JsonObject { ["parent_page_id"] = "p", ["title"] = "t", ["content"] = "# x" }),
        ("notion", "append_content", () => new JsonObject { ["page_id"] = "p", ["content"] = "x" }),
        ("notion", "search", () => new JsonObject { ["query"] = "x" }),
        ("notion", "query_database", () => new JsonObject { ["database_id"] = "db-1" }),
        ("gmail", "list_messages", () => new JsonObject { ["query"] = "is:unread" }),
        ("gmail", "get_message", () => new JsonObject { ["id"] = "m1" }),
        ("gmail", "search", () => new JsonObject { ["query"] = "is:unread" }),
    ];

    /// <summary>Every provider's API on one server, answering as in the per-provider tests.</summary>
    private static Task Succeed(RecordedRequest request, HttpContext context) => request switch
    {
        { Path: "/v1/chat/completions" } => OpenAIStepTests.StreamAsync(context, "fine"),
        { Path: "/token" } => GmailStepTests.Gmail(request, context),
        { Path: var p } when p.StartsWith("/gmail/", StringComparison.Ordinal) => GmailStepTests.Gmail(request, context),
        { Path: var p } when p.StartsWith("/v1/", StringComparison.Ordinal) => NotionStepTests.Ok(request, context),
        { Method: "GET", Path: "/repos/octo/handbook/contents/docs/sop.md" } => FakeServer.Json(context, 404, """{"message": "Not Found"}"""),
        { Method: "PUT" } => FakeServer.Json(context, 201, GitHubStepTests.ChangeSetJson),
        { Method: "GET", Path: "/repos/octo/handbook/issues" } => FakeServer.Json(context, 200, "[" + GitHubStepTests.IssueJson + "]"),
        { Path: "/user/repos" } => FakeServer.Json(context, 200, """[{"id": 1, "name": "handbook", "full_name": "octo/handbook"}]"""),
        { Path: var p } when p.Contains("/git/ref", StringComparison.Ordinal) =>
            FakeServer.Json(context, 201, """{"ref": "refs/heads/b", "object": {"sha": "abc", "type": "commit"}}"""),
        _ => FakeServer.Json(context, 200, GitHubStepTests.IssueJson),
    };

    /// <summary>A careless server that repeats the credentials it was sent in its error message.</summary>
    private static Func<RecordedRequest, HttpContext, Task> Echo(int status) => (request, context) =>
    {
        if (status >= 500 && request.Path == "/token")
        {
            return GmailStepTests.Gmail(request, context);
        }
        var echo = JsonValue.Create($"rejected {request.Header("Authorization")} with {request.Body} ({request.Query})").ToJsonString();
        return FakeServer.Json(context, status, $$"""{"error": "invalid_client", "error_description": {{echo}}, "message": {{echo}}}""");
    };

    private static readonly Func<RecordedRequest, HttpContext, Task> Malformed = (request, context) =>
        request.Path == "/token"
            ? GmailStepTests.Gmail(request, context)
            : FakeServer.Text(context, 200, $"data: not json {request.Header("Authorization")}\n\n", "text/event-stream");

    [Fact]
    public async Task No_secret_appears_in_any_output_error_or_log_line_whatever_the_provider_answers()
    {
        var seen = new List<string>();
        foreach (var respond in new[] { Succeed, Echo(401), Echo(404), Echo(500), Malformed })
        {
            await using var server = await FakeServer.StartAsync(respond);
            await using var harness = IntegrationHarness.Create(server.Url);
            foreach (var (type, action, parameters) in Calls)
            {
                var deltas = new List<string>();
                try
                {
                    var output = await harness.RunAsync(type, action, parameters(), IntegrationHarness.NewContext(deltas));
                    seen.Add(output?.ToJsonString() ?? "");
                }
                catch (StepFailedException e)
                {
                    seen.Add(e.Message);
                }
                seen.AddRange(deltas);
            }
            seen.AddRange(harness.Logs.Lines);
            Assert.NotEmpty(server.Received);
        }

        // The careless server did repeat the credentials: the scrubbing is what keeps them out.
        Assert.Contains(seen, text => text.Contains("[redacted: ", StringComparison.Ordinal));
        foreach (var secret in IntegrationHarness.Secrets)
        {
            Assert.DoesNotContain(seen, text => text.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Every_integration_declares_its_actions_with_described_parameters()
    {
        await using var harness = IntegrationHarness.Create("http://127.0.0.1:9");

        foreach (var (type, action, _) in Calls)
        {
            var declared = Assert.Single(harness.Step(type).Actions, a => a.Name == action);
            Assert.False(string.IsNullOrWhiteSpace(declared.Description));
            Assert.All(declared.Parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Description), $"{type}.{action}.{p.Name}"));
        }
        Assert.Equal(Calls.Length, new[] { "openai", "github", "notion", "gmail" }.Sum(t => harness.Step(t).Actions.Count));
    }
}
