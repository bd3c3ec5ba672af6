using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

public sealed class GitHubStepTests
{
    internal const string IssueJson = """
        {"id": 1, "number": 42, "title": "Broken link", "state": "open", "body": "The link is broken.",
         "html_url": "https://github.com/octo/handbook/issues/42", "url": "https://api.github.com/repos/octo/handbook/issues/42",
         "labels": [{"id": 7, "name": "bug", "color": "d73a4a"}], "user": {"login": "octocat", "id": 1}}
        """;

    internal const string ChangeSetJson = """
        {"content": {"name": "sop.md", "path": "docs/sop.md", "sha": "b2c3", "type": "file", "html_url": "https://github.com/octo/handbook/blob/main/docs/sop.md"},
         "commit": {"sha": "c0ffee", "message": "Add SOP", "html_url": "https://github.com/octo/handbook/commit/c0ffee"}}
        """;

    private static Task NotFound(HttpContext context) =>
        FakeServer.Json(context, 404, """{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}""");

    [Fact]
    public async Task Create_issue_posts_title_body_and_labels_with_the_token()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 201, IssueJson));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("github", "create_issue", new JsonObject
        {
            ["repo"] = "octo/handbook",
            ["title"] = "Broken link",
            ["body"] = "The link is broken.",
            ["labels"] = new JsonArray("bug"),
        });

        Assert.Equal(42, (int)output!["number"]!);
        Assert.Equal("https://github.com/octo/handbook/issues/42", (string?)output["url"]);
        Assert.Equal("open", (string?)output["state"]);
        var request = Assert.Single(server.Received);
        Assert.Equal("POST /repos/octo/handbook/issues", request.ToString());
        Assert.EndsWith(IntegrationHarness.GitHubToken, request.Header("Authorization"));
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("Broken link", (string?)body["title"]);
        Assert.Equal("The link is broken.", (string?)body["body"]);
        Assert.Equal("bug", (string?)body["labels"]![0]);
    }

    [Fact]
    public async Task Update_issue_patches_the_state()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            FakeServer.Json(context, 200, IssueJson.Replace("\"open\"", "\"closed\"", StringComparison.Ordinal)));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("github", "update_issue", new JsonObject { ["repo"] = "octo/handbook", ["number"] = "42", ["state"] = "closed" });

        Assert.Equal("closed", (string?)output!["state"]);
        var request = Assert.Single(server.Received);
        Assert.Equal("PATCH /repos/octo/handbook/issues/42", request.ToString());
        Assert.Equal("closed", (string?)JsonNode.Parse(request.Body)!["state"]);
    }

    [Fact]
    public async Task Create_file_creates_a_new_file_on_the_branch()
    {
        await using var server = await FakeServer.StartAsync((request, context) =>
            request.Method == "GET" ? NotFound(context) : FakeServer.Json(context, 201, ChangeSetJson));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("github", "create_file", new JsonObject
        {
            ["repo"] = "octo/handbook", ["path"] = "docs/sop.md", ["content"] = "# SOP\nStep one.", ["message"] = "Add SOP", ["branch"] = "docs",
        });

        Assert.True((bool)output!["created"]!);
        Assert.Equal("c0ffee", (string?)output["commit_sha"]);
        Assert.Equal(["GET /repos/octo/handbook/contents/docs/sop.md?ref=docs", "PUT /repos/octo/handbook/contents/docs/sop.md"],
            server.Received.Select(r => r.ToString()));
        var body = JsonNode.Parse(server.Received[1].Body)!;
        Assert.Equal("Add SOP", (string?)body["message"]);
        Assert.Equal("docs", (string?)body["branch"]);
        Assert.Null(body["sha"]);
        Assert.Equal("# SOP\nStep one.", Encoding.UTF8.GetString(Convert.FromBase64String((string)body["content"]!)));
    }

    [Fact]
    public async Task Create_file_updates_an_existing_file_with_its_sha()
    {
        await using var server = await FakeServer.StartAsync((request, context) => request.Method == "GET"
            ? FakeServer.Json(context, 200, """{"type": "file", "name": "sop.md", "path": "docs/sop.md", "sha": "a1b2", "size": 5, "encoding": "base64", "content": "b2xk"}""")
            : FakeServer.Json(context, 200, ChangeSetJson));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("github", "create_file", new JsonObject
        {
            ["repo"] = "octo/handbook", ["path"] = "docs/sop.md", ["content"] = "new text",
        });

        Assert.False((bool)output!["created"]!);
        var put = server.Received[1];
        Assert.Equal("PUT /repos/octo/handbook/contents/docs/sop.md", put.ToString());
        Assert.Equal("a1b2", (string?)JsonNode.Parse(put.Body)!["sha"]);
        Assert.Equal("Update docs/sop.md", (string?)JsonNode.Parse(put.Body)!["message"]);
    }

    [Fact]
    public async Task List_repos_asks_for_the_visibility_and_returns_a_compact_list()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 200, """
            [{"id": 1, "name": "handbook", "full_name": "octo/handbook", "private": true, "description": "Docs", "default_branch": "main",
              "html_url": "https://github.com/octo/handbook", "owner": {"login": "octo", "id": 2}},
             {"id": 3, "name": "site", "full_name": "octo/site", "private": true, "default_branch": "trunk",
              "html_url": "https://github.com/octo/site", "owner": {"login": "octo", "id": 2}}]
            """));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = (await harness.RunAsync("github", "list_repos", new JsonObject { ["visibility"] = "private", ["limit"] = 2 }))!.AsArray();

        Assert.Equal(["octo/handbook", "octo/site"], output.Select(r => (string?)r!["full_name"]));
        Assert.Equal("trunk", (string?)output[1]!["default_branch"]);
        var request = Assert.Single(server.Received);
        Assert.Equal("/user/repos", request.Path);
        Assert.Contains("visibility=private", request.Query);
        Assert.Contains("per_page=2", request.Query);
    }

    [Fact]
    public async Task List_issues_asks_for_the_state_and_labels_and_leaves_pull_requests_out()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 200, """
            [{"id": 900, "number": 43, "title": "Crash on start", "state": "open", "body": "Steps...", "labels": [{"name": "bug"}],
              "html_url": "https://github.com/octo/handbook/issues/43", "url": "https://api.github.com/repos/octo/handbook/issues/43",
              "user": {"login": "ada", "id": 7}, "created_at": "2026-11-20T10:00:00Z"},
             {"id": 901, "number": 44, "title": "A pull request", "state": "open", "labels": [],
              "pull_request": {"url": "https://api.github.com/repos/octo/handbook/pulls/44"},
              "html_url": "https://github.com/octo/handbook/pull/44", "url": "https://api.github.com/repos/octo/handbook/issues/44",
              "user": {"login": "bob", "id": 8}, "created_at": "2026-11-21T10:00:00Z"}]
            """));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = (await harness.RunAsync("github", "list_issues",
            new JsonObject { ["repo"] = "octo/handbook", ["state"] = "all", ["labels"] = new JsonArray("bug"), ["limit"] = 5 }))!.AsArray();

        var issue = Assert.Single(output)!;
        Assert.Equal(900, (long)issue["id"]!);
        Assert.Equal(43, (int)issue["number"]!);
        Assert.Equal("ada", (string?)issue["author"]);
        Assert.Equal("bug", (string?)issue["labels"]![0]);
        var request = Assert.Single(server.Received);
        Assert.Equal("/repos/octo/handbook/issues", request.Path);
        Assert.Contains("state=all", request.Query);
        Assert.Contains("labels=bug", request.Query);
        Assert.Contains("per_page=5", request.Query);
    }

    [Fact]
    public async Task Create_branch_starts_from_the_default_branchs_head()
    {
        await using var server = await FakeServer.StartAsync((request, context) => request.Path switch
        {
            "/repos/octo/handbook" => FakeServer.Json(context, 200, """{"id": 1, "name": "handbook", "full_name": "octo/handbook", "default_branch": "main"}"""),
            "/repos/octo/handbook/git/refs/heads/main" or "/repos/octo/handbook/git/ref/heads/main" =>
                FakeServer.Json(context, 200, """{"ref": "refs/heads/main", "object": {"sha": "abc123", "type": "commit"}}"""),
            "/repos/octo/handbook/git/refs" => FakeServer.Json(context, 201, """{"ref": "refs/heads/sop-draft", "object": {"sha": "abc123", "type": "commit"}}"""),
            _ => NotFound(context),
        });
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("github", "create_branch", new JsonObject { ["repo"] = "octo/handbook", ["branch"] = "sop-draft" });

        Assert.Equal("refs/heads/sop-draft", (string?)output!["ref"]);
        Assert.Equal("main", (string?)output["from"]);
        var create = server.Received.Last();
        Assert.Equal("POST /repos/octo/handbook/git/refs", create.ToString());
        Assert.Equal("refs/heads/sop-draft", (string?)JsonNode.Parse(create.Body)!["ref"]);
        Assert.Equal("abc123", (string?)JsonNode.Parse(create.Body)!["sha"]);
    }

    [Fact]
    public async Task A_missing_token_fails_before_calling_anything()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 201, IssueJson));
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?> { ["GitHub:Token"] = null });

        var error = await harness.FailAsync("github", "create_issue", new JsonObject { ["repo"] = "octo/handbook", ["title"] = "x" });

        Assert.Equal("GitHub:Token is not set: set the environment variable GitHub__Token or save it on the Settings page", error.Message);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task A_401_fails_at_once_with_githubs_message()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            FakeServer.Json(context, 401, """{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}"""));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("github", "create_issue", new JsonObject { ["repo"] = "octo/handbook", ["title"] = "x" });

        Assert.Equal("GitHub answered 401 Unauthorized: Bad credentials (check the GitHub:Token setting)", error.Message);
        Assert.False(error.Transient);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task A_404_for_a_missing_repository_is_permanent()
    {
        await using var server = await FakeServer.StartAsync((_, context) => NotFound(context));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("github", "create_issue", new JsonObject { ["repo"] = "octo/nope", ["title"] = "x" });

        Assert.Equal("GitHub answered 404 Not Found: Not Found", error.Message);
        Assert.False(error.Transient);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task A_422_spells_out_the_field_errors()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 422, """
            {"message": "Validation Failed", "errors": [{"resource": "Reference", "field": "ref", "code": "already_exists", "message": "Reference already exists"}],
             "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference"}
            """));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("github", "create_issue", new JsonObject { ["repo"] = "octo/handbook", ["title"] = "x" });

        Assert.Equal("GitHub answered 422 Unprocessable Entity: Validation Failed (Reference already exists)", error.Message);
        Assert.False(error.Transient);
    }

    [Fact]
    public async Task A_429_is_retried_after_Retry_After_and_then_succeeds()
    {
        var calls = 0;
        await using var server = await FakeServer.StartAsync((_, context) => Interlocked.Increment(ref calls) == 1
            ? FakeServer.Json(context, 429, """{"message": "API rate limit exceeded"}""", ("Retry-After", "0"))
            : FakeServer.Json(context, 201, IssueJson));
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?>
        {
            ["GitHub:Resilience:Retry:Delay"] = "00:10:00",
            ["GitHub:Resilience:AttemptTimeout:Timeout"] = "00:00:10",
            ["GitHub:Resilience:TotalRequestTimeout:Timeout"] = "00:00:20",
        });
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("github", "create_issue", new JsonObject { ["repo"] = "octo/handbook", ["title"] = "x" }, context);

        Assert.Equal(42, (int)output!["number"]!);
        Assert.Equal(2, context.HttpAttempts);
    }

    [Fact]
    public async Task A_500_is_retried_then_fails_as_transient_with_the_attempts_recorded()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 500, """{"message": "Server Error"}"""));
        await using var harness = IntegrationHarness.Create(server.Url);
        var context = IntegrationHarness.NewContext();

        var error = await harness.FailAsync("github", "create_issue", new JsonObject { ["repo"] = "octo/handbook", ["title"] = "x" }, context);

        Assert.Equal("GitHub answered 500 Internal Server Error: Server Error (after 3 HTTP requests)", error.Message);
        Assert.True(error.Transient);
        Assert.Equal(3, server.Received.Count);
        Assert.Equal(3, context.HttpAttempts);
    }

    [Fact]
    public async Task A_malformed_body_fails_with_a_clear_error()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 201, "{\"number\": 42, \"title\": "));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("github", "create_issue", new JsonObject { ["repo"] = "octo/handbook", ["title"] = "x" });

        Assert.StartsWith("GitHub sent a response that could not be read", error.Message);
        Assert.False(error.Transient);
    }

    [Fact]
    public async Task A_repo_that_is_not_owner_slash_name_is_rejected_before_calling()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 201, IssueJson));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("github", "create_issue", new JsonObject { ["repo"] = "handbook", ["title"] = "x" });

        Assert.Equal("parameter 'repo' must be owner/name (e.g. octo-org/handbook), not 'handbook'", error.Message);
        Assert.Empty(server.Received);
    }
}
