using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

public sealed class GmailStepTests
{
    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private const string InvoiceHtml = "<html><head><style>p{color:red}</style></head><body><p>Total: 42 &euro;</p><p>Due soon?>></p></body></html>";

    private static string Headers(string subject) => $$"""
        [{"name": "Subject", "value": "{{subject}}"}, {"name": "From", "value": "Ada <ada@example.com>"},
         {"name": "To", "value": "me@example.com"}, {"name": "Date", "value": "Tue, 4 Nov 2025 09:15:00 +0000"}]
        """;

    /// <summary>m1 is multipart with text/plain and text/html; m2 has only HTML (with "?>" so base64url needs '_' and '-').</summary>
    private static string Message(string id) => id == "m1"
        ? $$$"""
            {"id": "m1", "threadId": "t1", "labelIds": ["INBOX", "UNREAD"], "snippet": "Meeting moved &amp; more",
             "payload": {"mimeType": "multipart/alternative", "headers": {{{Headers("Meeting moved")}}}, "body": {"size": 0},
               "parts": [{"mimeType": "text/plain", "body": {"size": 20, "data": "{{{Base64Url("The meeting is at 3 pm.\nBring notes.")}}}"}},
                         {"mimeType": "text/html", "body": {"size": 30, "data": "{{{Base64Url("<p>The meeting is at <b>3 pm</b>.</p>")}}}"}}]}}
            """
        : $$$"""
            {"id": "m2", "threadId": "t2", "labelIds": ["INBOX"], "snippet": "Invoice",
             "payload": {"mimeType": "text/html", "headers": {{{Headers("Invoice")}}},
               "body": {"size": 50, "data": "{{{Base64Url(InvoiceHtml)}}}"} } }
            """;

    internal static Task Gmail(RecordedRequest request, HttpContext context) => request.Path switch
    {
        "/token" => FakeServer.Json(context, 200,
            $$$"""{"access_token": "{{{IntegrationHarness.GmailAccessToken}}}", "expires_in": 3599, "token_type": "Bearer", "scope": "https://www.googleapis.com/auth/gmail.readonly"}"""),
        "/gmail/v1/users/me/messages" => FakeServer.Json(context, 200,
            """{"messages": [{"id": "m1", "threadId": "t1"}, {"id": "m2", "threadId": "t2"}], "resultSizeEstimate": 2}"""),
        "/gmail/v1/users/me/messages/m1" or "/gmail/v1/users/me/messages/m2" => FakeServer.Json(context, 200, Message(request.Path[^2..])),
        _ => GoogleError(context, 404, "Requested entity was not found.", "NOT_FOUND"),
    };

    private static Task GoogleError(HttpContext context, int status, string message, string code, params (string, string)[] headers) =>
        FakeServer.Json(context, status, $$$"""{"error": {"code": {{{status}}}, "message": "{{{message}}}", "status": "{{{code}}}"}}""", headers);

    [Fact]
    public async Task Search_refreshes_the_token_then_lists_and_reads_each_message_with_its_body()
    {
        await using var server = await FakeServer.StartAsync(Gmail);
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = (await harness.RunAsync("gmail", "search", new JsonObject { ["query"] = "is:unread", ["max_results"] = 2 }))!.AsArray();

        Assert.Equal(["Meeting moved", "Invoice"], output.Select(m => (string?)m!["subject"]));
        Assert.Equal("Ada <ada@example.com>", (string?)output[0]!["from"]);
        Assert.Equal("me@example.com", (string?)output[0]!["to"]);
        Assert.Equal("Tue, 4 Nov 2025 09:15:00 +0000", (string?)output[0]!["date"]);
        Assert.Equal("Meeting moved & more", (string?)output[0]!["snippet"]);
        Assert.Equal("The meeting is at 3 pm.\nBring notes.", (string?)output[0]!["body"]);
        Assert.Equal("Total: 42 €\nDue soon?>>", (string?)output[1]!["body"]);

        var requests = server.Received;
        var token = requests[0];
        Assert.Equal("POST /token", token.ToString());
        Assert.Contains("grant_type=refresh_token", token.Body);
        Assert.Contains($"refresh_token={Uri.EscapeDataString(IntegrationHarness.GmailRefreshToken)}", token.Body);
        Assert.Contains($"client_id={Uri.EscapeDataString(IntegrationHarness.GmailClientId)}", token.Body);
        Assert.Equal("/gmail/v1/users/me/messages", requests[1].Path);
        Assert.Contains("q=is%3Aunread", requests[1].Query);
        Assert.Contains("maxResults=2", requests[1].Query);
        Assert.Equal("/gmail/v1/users/me/messages/m1?format=full", requests[2].PathAndQuery);
        Assert.All(requests.Skip(1), r => Assert.Equal($"Bearer {IntegrationHarness.GmailAccessToken}", r.Header("Authorization")));
    }

    [Fact]
    public async Task List_messages_reads_headers_without_bodies_and_reuses_the_access_token()
    {
        await using var server = await FakeServer.StartAsync(Gmail);
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = (await harness.RunAsync("gmail", "list_messages", new JsonObject { ["query"] = "from:ada" }))!.AsArray();
        await harness.RunAsync("gmail", "list_messages", new JsonObject { ["query"] = "from:ada" });

        Assert.Equal(2, output.Count);
        Assert.Null(output[0]!["body"]);
        Assert.Equal("Meeting moved", (string?)output[0]!["subject"]);
        Assert.Contains("format=metadata", server.Received[2].Query);
        Assert.Single(server.Received, r => r.Path == "/token");
    }

    [Fact]
    public async Task Get_message_reads_one_message_in_full()
    {
        await using var server = await FakeServer.StartAsync(Gmail);
        await using var harness = IntegrationHarness.Create(server.Url);

        var output = await harness.RunAsync("gmail", "get_message", new JsonObject { ["id"] = "m2" });

        Assert.Equal("Invoice", (string?)output!["subject"]);
        Assert.Equal("Total: 42 €\nDue soon?>>", (string?)output["body"]);
        Assert.Equal("/gmail/v1/users/me/messages/m2?format=full", server.Received.Last().PathAndQuery);
    }

    [Fact]
    public async Task A_missing_refresh_token_fails_before_calling_anything()
    {
        await using var server = await FakeServer.StartAsync(Gmail);
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?> { ["Gmail:RefreshToken"] = null });

        var error = await harness.FailAsync("gmail", "get_message", new JsonObject { ["id"] = "m1" });

        Assert.Equal("Gmail:RefreshToken is not set: set the environment variable Gmail__RefreshToken or save it on the Settings page", error.Message);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task A_revoked_refresh_token_fails_at_once_naming_the_settings()
    {
        await using var server = await FakeServer.StartAsync((_, context) =>
            FakeServer.Json(context, 400, """{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}"""));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("gmail", "get_message", new JsonObject { ["id"] = "m1" });

        Assert.Contains("invalid_grant: Token has been expired or revoked.", error.Message);
        Assert.Contains("Gmail:RefreshToken", error.Message);
        Assert.False(error.Transient);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task A_401_from_the_api_fails_at_once()
    {
        await using var server = await FakeServer.StartAsync((request, context) => request.Path == "/token"
            ? Gmail(request, context)
            : GoogleError(context, 401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("gmail", "get_message", new JsonObject { ["id"] = "m1" });

        Assert.Equal("Gmail answered 401 Unauthorized: Request had invalid authentication credentials. (check the Gmail:RefreshToken setting)", error.Message);
        Assert.False(error.Transient);
        Assert.Equal(2, server.Received.Count);
    }

    [Fact]
    public async Task A_404_for_an_unknown_message_is_permanent()
    {
        await using var server = await FakeServer.StartAsync(Gmail);
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("gmail", "get_message", new JsonObject { ["id"] = "nope" });

        Assert.StartsWith("Gmail answered 404 Not Found: Requested entity was not found.", error.Message);
        Assert.False(error.Transient);
    }

    [Fact]
    public async Task A_429_is_retried_after_Retry_After_and_then_succeeds()
    {
        var listed = 0;
        await using var server = await FakeServer.StartAsync((request, context) =>
            request.Path == "/gmail/v1/users/me/messages/m2" && Interlocked.Increment(ref listed) == 1
                ? GoogleError(context, 429, "Too many concurrent requests for user.", "RESOURCE_EXHAUSTED", ("Retry-After", "0"))
                : Gmail(request, context));
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?>
        {
            ["Gmail:Resilience:Retry:Delay"] = "00:10:00",
            ["Gmail:Resilience:AttemptTimeout:Timeout"] = "00:00:10",
            ["Gmail:Resilience:TotalRequestTimeout:Timeout"] = "00:00:20",
        });
        var context = IntegrationHarness.NewContext();

        var output = await harness.RunAsync("gmail", "get_message", new JsonObject { ["id"] = "m2" }, context);

        Assert.Equal("Invoice", (string?)output!["subject"]);
        Assert.Equal(3, context.HttpAttempts);
    }

    [Fact]
    public async Task A_500_is_retried_then_fails_as_transient_with_the_attempts_recorded()
    {
        await using var server = await FakeServer.StartAsync((request, context) => request.Path == "/token"
            ? Gmail(request, context)
            : GoogleError(context, 500, "Internal error encountered.", "INTERNAL"));
        await using var harness = IntegrationHarness.Create(server.Url);
        var context = IntegrationHarness.NewContext();

        var error = await harness.FailAsync("gmail", "get_message", new JsonObject { ["id"] = "m1" }, context);

        Assert.Equal("Gmail answered 500 Internal Server Error: Internal error encountered. (after 4 HTTP requests)", error.Message);
        Assert.True(error.Transient);
        Assert.Equal(4, context.HttpAttempts);
        Assert.Equal(3, server.Received.Count(r => r.Path != "/token"));
    }

    [Fact]
    public async Task A_malformed_body_fails_with_a_clear_error()
    {
        await using var server = await FakeServer.StartAsync((request, context) => request.Path == "/token"
            ? Gmail(request, context)
            : FakeServer.Json(context, 200, "{\"id\": \"m1\", \"payload\": "));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("gmail", "get_message", new JsonObject { ["id"] = "m1" });

        Assert.StartsWith("Gmail sent a response that could not be read as JSON", error.Message);
        Assert.False(error.Transient);
    }
}
