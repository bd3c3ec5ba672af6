using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

public sealed class NotionStepTests
{
    private const string PageJson = """{"object": "page", "id": "page-123", "url": "https://www.notion.so/Inbox-digest-page123", "properties": {}}""";

    private static Task Error(HttpContext context, int status, string code, string message, params (string, string)[] headers) =>
        FakeServer.Json(context, status, $$"""{"object": "error", "status": {{status}}, "code": "{{code}}", "message": "{{message}}"}""", headers);

    internal static Task Ok(RecordedRequest request, HttpContext context) => request switch
    {
        { Method: "POST", Path: "/v1/pages" } => FakeServer.Json(context, 200, PageJson),
        { Method: "PATCH" } => FakeServer.Json(context, 200, """{"object": "list", "results": []}"""),
        { Method: "GET", Path: "/v1/databases/db-1" } => FakeServer.Json(context, 200,
            """{"object": "database", "id": "db-1", "properties": {"Status": {"id": "s", "type": "status"}, "Task": {"id": "title", "type": "title", "title": {}}}}"""),
        _ => Error(context, 404, "object_not_found", "Could not find the object."),
    };

    [Fact]
    public async Task Create_page_under_a_page_sends_title_and_blocks_with_the_token_and_version()
    {
        await using var server = await FakeServer.StartAsync(Ok);
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("notion", "create_page", new JsonObject
        {
            ["parent_page_id"] = "parent-1",
            ["title"] = "Inbox digest",
            ["content"] = "# Today\n\nTwo **urgent** mails.",
        });

        Assert.Equal("page-123", (string?)output!["id"]);
        Assert.Equal("https://www.notion.so/Inbox-digest-page123", (string?)output["url"]);
        var request = Assert.Single(server.Received);
        Assert.Equal("POST /v1/pages", request.ToString());
        Assert.Equal($"Bearer {IntegrationHarness.NotionToken}", request.Header("Authorization"));
        Assert.Equal("2022-06-28", request.Header("Notion-Version"));
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("parent-1", (string?)body["parent"]!["page_id"]);
        Assert.Equal("Inbox digest", (string?)body["properties"]!["title"]!["title"]![0]!["text"]!["content"]);
        Assert.Equal(["heading_1", "paragraph"], body["children"]!.AsArray().Select(b => (string?)b!["type"]));
    }

    [Fact]
    public async Task Create_page_in_a_database_uses_the_databases_title_property()
    {
        await using var server = await FakeServer.StartAsync(Ok);
        await using var harness = IntegrationHarness.Create(server.Url);

        await harness.RunAsync("notion", "create_page", new JsonObject { ["database_id"] = "db-1", ["title"] = "Write SOP" });

        Assert.Equal(["GET /v1/databases/db-1", "POST /v1/pages"], server.Received.Select(r => r.ToString()));
        var body = JsonNode.Parse(server.Received[1].Body)!;
        Assert.Equal("db-1", (string?)body["parent"]!["database_id"]);
        Assert.Equal("Write SOP", (string?)body["properties"]!["Task"]!["title"]![0]!["text"]!["content"]);
    }

    [Fact]
    public async Task Content_over_100_blocks_is_created_with_the_first_100_then_appended_in_batches()
    {
        await using var server = await FakeServer.StartAsync(Ok);
        await using var harness = IntegrationHarness.Create(server.Url);
        var markdown = string.Join("\n\n", Enumerable.Range(1, 250).Select(i => $"Paragraph {i}"));

        var output = await harness.RunAsync("notion", "create_page", new JsonObject { ["parent_page_id"] = "parent-1", ["title"] = "Long", ["content"] = markdown });

        Assert.Equal(250, (int)output!["blocks"]!);
        Assert.Equal(["POST /v1/pages", "PATCH /v1/blocks/page-123/children", "PATCH /v1/blocks/page-123/children"],
            server.Received.Select(r => r.ToString()));
        int[] sizes = [.. server.Received.Select(r => JsonNode.Parse(r.Body)!["children"]!.AsArray().Count)];
        Assert.Equal([100, 100, 50], sizes);
        var firstAppended = JsonNode.Parse(server.Received[1].Body)!["children"]![0]!["paragraph"]!["rich_text"]![0]!["text"]!["content"];
        Assert.Equal("Paragraph 101", (string?)firstAppended);
    }

    [Fact]
    public async Task Append_content_patches_the_pages_children()
    {
        await using var server = await FakeServer.StartAsync(Ok);
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("notion", "append_content", new JsonObject { ["page_id"] = "page-9", ["content"] = "- a\n- b" });

        Assert.Equal(2, (int)output!["blocks"]!);
        var request = Assert.Single(server.Received);
        Assert.Equal("PATCH /v1/blocks/page-9/children", request.ToString());
        Assert.Equal(2, JsonNode.Parse(request.Body)!["children"]!.AsArray().Count);
    }

    [Fact]
    public async Task Search_returns_ids_urls_and_titles()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 200, """
            {"object": "list", "has_more": false, "next_cursor": null, "results": [
              {"object": "page", "id": "p1", "url": "https://www.notion.so/p1",
               "properties": {"title": {"id": "title", "type": "title", "title": [{"type": "text", "plain_text": "Meeting notes", "text": {"content": "Meeting notes"}}]}}},
              {"object": "database", "id": "d1", "url": "https://www.notion.so/d1", "title": [{"type": "text", "plain_text": "Tasks"}]}]}
            """));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = (await harness.RunAsync("notion", "search", new JsonObject { ["query"] = "notes" }))!.AsArray();

        Assert.Equal(["Meeting notes", "Tasks"], output.Select(r => (string?)r!["title"]));
        Assert.Equal(["page", "database"], output.Select(r => (string?)r!["object"]));
        var request = Assert.Single(server.Received);
        Assert.Equal("POST /v1/search", request.ToString());
        Assert.Equal("notes", (string?)JsonNode.Parse(request.Body)!["query"]);
    }

    [Fact]
    public async Task Query_database_sends_the_filter()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 200, """
            {"object": "list", "results": [{"object": "page", "id": "row-1", "url": "https://www.notion.so/row-1",
              "properties": {"Task": {"type": "title", "title": [{"plain_text": "Ship it"}]}, "Status": {"type": "status", "status": {"name": "Done"}}}}]}
            """));
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = (await harness.RunAsync("notion", "query_database", new JsonObject
        {
            ["database_id"] = "db-1",
            ["filter"] = "{\"property\": \"Status\", \"status\": {\"equals\": \"Done\"}}",
        }))!.AsArray();

        Assert.Equal("Ship it", (string?)Assert.Single(output)!["title"]);
        Assert.Equal("Done", (string?)output[0]!["properties"]!["Status"]!["status"]!["name"]);
        var request = Assert.Single(server.Received);
        Assert.Equal("POST /v1/databases/db-1/query", request.ToString());
        Assert.Equal("Done", (string?)JsonNode.Parse(request.Body)!["filter"]!["status"]!["equals"]);
    }

    [Fact]
    public async Task A_missing_token_fails_before_calling_anything()
    {
        await using var server = await FakeServer.StartAsync(Ok);
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?> { ["Notion:Token"] = null });

        var error = await harness.FailAsync("notion", "search", new JsonObject { ["query"] = "x" });

        Assert.Equal("Notion:Token is not set: set the environment variable Notion__Token or save it on the Settings page", error.Message);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task A_401_fails_at_once_with_notions_message()
    {
        await using var server = await FakeServer.StartAsync((_, context) => Error(context, 401, "unauthorized", "API token is invalid."));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("notion", "search", new JsonObject { ["query"] = "x" });

        Assert.Equal("Notion answered 401 Unauthorized: API token is invalid. (check the Notion:Token setting)", error.Message);
        Assert.False(error.Transient);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task A_404_for_a_page_not_shared_with_the_integration_is_permanent()
    {
        await using var server = await FakeServer.StartAsync((_, context) => Error(context, 404, "object_not_found",
            "Could not find block with ID: page-9. Make sure the relevant pages and databases are shared with your integration."));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("notion", "append_content", new JsonObject { ["page_id"] = "page-9", ["content"] = "x" });

        Assert.StartsWith("Notion answered 404 Not Found: Could not find block with ID: page-9.", error.Message);
        Assert.False(error.Transient);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task A_429_is_retried_after_Retry_After_and_then_succeeds()
    {
        var calls = 0;
        await using var server = await FakeServer.StartAsync((request, context) => Interlocked.Increment(ref calls) == 1
            ? Error(context, 429, "rate_limited", "You have been rate limited. Please try again in a few minutes.", ("Retry-After", "0"))
            : Ok(request, context));
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?>
        {
            ["Notion:Resilience:Retry:Delay"] = "00:10:00",
            ["Notion:Resilience:AttemptTimeout:Timeout"] = "00:00:10",
            ["Notion:Resilience:TotalRequestTimeout:Timeout"] = "00:00:20",
        });
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("notion", "create_page", new JsonObject { ["parent_page_id"] = "p", ["title"] = "t" }, context);

        Assert.Equal("page-123", (string?)output!["id"]);
        Assert.Equal(2, context.HttpAttempts);
    }

    [Fact]
    public async Task A_500_is_retried_then_fails_as_transient_with_the_attempts_recorded()
    {
        await using var server = await FakeServer.StartAsync((_, context) => Error(context, 500, "internal_server_error", "Unexpected error occurred."));
        await using var harness = IntegrationHarness.Create(server.Url);
        var context = IntegrationHarness.NewContext();

        var error = await harness.FailAsync("notion", "search", new JsonObject { ["query"] = "x" }, context);

        Assert.Equal("Notion answered 500 Internal Server Error: Unexpected error occurred. (after 3 HTTP requests)", error.Message);
        Assert.True(error.Transient);
        Assert.Equal(3, context.HttpAttempts);
        Assert.Equal(3, server.Received.Count);
    }

    [Fact]
    public async Task A_malformed_body_fails_with_a_clear_error()
    {
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Text(context, 200, "<html>gateway</html>", "text/html"));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("notion", "search", new JsonObject { ["query"] = "x" });

        Assert.StartsWith("Notion sent a response that could not be read as JSON", error.Message);
        Assert.False(error.Transient);
    }

    [Fact]
    public async Task Giving_both_parents_is_rejected_before_calling()
    {
        await using var server = await FakeServer.StartAsync(Ok);
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("notion", "create_page", new JsonObject { ["parent_page_id"] = "a", ["database_id"] = "b", ["title"] = "t" });

        Assert.Equal("give either parameter 'parent_page_id' or parameter 'database_id' (exactly one)", error.Message);
        Assert.Empty(server.Received);
    }
}
