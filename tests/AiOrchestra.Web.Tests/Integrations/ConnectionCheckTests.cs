using System.Net;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.AspNetCore.Http;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>The Settings page's "Test connection" of each integration, against fake providers.</summary>
public sealed class ConnectionCheckTests
{
    private static Task Healthy(RecordedRequest request, HttpContext context) => request.Path switch
    {
        "/v1/models" => FakeServer.Json(context, 200, """{"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]}"""),
        "/user" => FakeServer.Json(context, 200, """{"login": "octocat", "id": 1}"""),
        "/v1/users/me" => FakeServer.Json(context, 200, """{"object": "user", "id": "bot-1", "type": "bot"}"""),
        "/gmail/v1/users/me/profile" => FakeServer.Json(context, 200, """{"emailAddress": "me@example.com", "messagesTotal": 2}"""),
        _ => GmailStepTests.Gmail(request, context),
    };

    /// <summary>Refuses everything, repeating the credentials it was sent.</summary>
    private static Task Refusing(RecordedRequest request, HttpContext context)
    {
        var echo = System.Text.Json.Nodes.JsonValue.Create($"bad credentials {request.Header("Authorization")} {request.Body}").ToJsonString();
        return FakeServer.Json(context, 401, $$"""{"error": "invalid_client", "error_description": {{echo}}, "message": {{echo}}}""");
    }

    public static TheoryData<string, string, string> Integrations => new()
    {
        { "openai", "GET /v1/models", $"Bearer {IntegrationHarness.OpenAIKey}" },
        { "github", "GET /user", $"Bearer {IntegrationHarness.GitHubToken}" },
        { "notion", "GET /v1/users/me", $"Bearer {IntegrationHarness.NotionToken}" },
        { "gmail", "GET /gmail/v1/users/me/profile", $"Bearer {IntegrationHarness.GmailAccessToken}" },
    };

    [Theory]
    [MemberData(nameof(Integrations))]
    public async Task A_working_connection_passes_with_one_authenticated_request(string integration, string request, string authorization)
    {
        await using var server = await FakeServer.StartAsync(Healthy);
        await using var harness = IntegrationHarness.Create(server.Url);

        var problem = await harness.Check(integration).TestAsync(CancellationToken.None);

        Assert.Null(problem);
        var sent = Assert.Single(server.Received, r => r.ToString() == request);
        Assert.Equal(authorization, sent.Header("Authorization"));
        if (integration == "notion")
        {
            Assert.Equal("2022-06-28", sent.Header("Notion-Version"));
        }
        if (integration == "github")
        {
            Assert.StartsWith("AiOrchestra", sent.Header("User-Agent"));
        }
    }

    [Theory]
    [InlineData("openai", "OpenAI answered 401 Unauthorized", "OpenAI:ApiKey")]
    [InlineData("github", "GitHub answered 401 Unauthorized", "GitHub:Token")]
    [InlineData("notion", "Notion answered 401 Unauthorized", "Notion:Token")]
    [InlineData("gmail", "Gmail answered 401 Unauthorized", "Gmail:RefreshToken")]
    public async Task Refused_credentials_say_which_setting_to_check_without_showing_it(string integration, string answered, string setting)
    {
        await using var server = await FakeServer.StartAsync(Refusing);
        await using var harness = IntegrationHarness.Create(server.Url);

        var problem = await harness.Check(integration).TestAsync(CancellationToken.None);

        Assert.NotNull(problem);
        Assert.StartsWith(answered, problem);
        Assert.Contains(setting, problem);
        Assert.Contains("[redacted: ", problem);
        Assert.All(IntegrationHarness.Secrets, secret => Assert.DoesNotContain(secret, problem));
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task A_missing_credential_is_named_without_calling_anything()
    {
        await using var server = await FakeServer.StartAsync(Healthy);
        await using var harness = IntegrationHarness.Create(server.Url, new Dictionary<string, string?> { ["OpenAI:ApiKey"] = null });

        var problem = await harness.Check("openai").TestAsync(CancellationToken.None);

        Assert.Equal("OpenAI:ApiKey is not set: set the environment variable OpenAI__ApiKey or save it on the Settings page", problem);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task An_unreachable_server_is_reported_with_what_to_check()
    {
        await using var harness = IntegrationHarness.Create("http://127.0.0.1:9");

        var problem = await harness.Check("notion").TestAsync(CancellationToken.None);

        Assert.StartsWith("could not reach Notion", problem);
    }

    [Fact]
    public async Task The_settings_page_shows_the_result_of_a_test()
    {
        Func<RecordedRequest, HttpContext, Task> respond = Healthy;
        await using var fakes = await FakeServer.StartAsync((request, context) => respond(request, context));
        using var app = new IntegrationApp(fakes.Url);
        using var browser = await app.BrowserAsync();

        var connected = await browser.PostFormAsync("/Settings?handler=Test", new() { ["Integration"] = "github" }, formPage: "/Settings");
        respond = Refusing;
        var failed = await browser.PostFormAsync("/Settings?handler=Test", new() { ["Integration"] = "github" }, formPage: "/Settings");

        Assert.Equal(HttpStatusCode.OK, connected.StatusCode);
        var result = HtmlClient.Parse(await connected.Content.ReadAsStringAsync()).QuerySelector("#test-github")!.TextContent.Trim();
        Assert.Equal("Connected.", result);
        // the failure is shown beside the button, in the error style
        var failure = HtmlClient.Parse(await failed.Content.ReadAsStringAsync()).QuerySelector("#test-github .field-error")!.TextContent;
        Assert.StartsWith("Failed: GitHub answered 401 Unauthorized", failure);
        Assert.Contains("GitHub:Token", failure);
        Assert.DoesNotContain(IntegrationHarness.GitHubToken, failure);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("gmail")]
    public async Task A_failing_server_is_asked_once_and_the_check_itself_logs_nothing(string integration)
    {
        await using var server = await FakeServer.StartAsync((request, context) =>
            request.Path == "/token" ? GmailStepTests.Gmail(request, context) : FakeServer.Json(context, 503, """{"error": {"message": "down for maintenance"}}"""));
        await using var harness = IntegrationHarness.Create(server.Url);

        var problem = await harness.Check(integration).TestAsync(CancellationToken.None);

        Assert.NotNull(problem);
        Assert.Contains("503", problem);
        // a check is one attempt: no retries with their back-off while a person waits, no retry log lines
        Assert.Single(server.Received, r => r.Path != "/token");
        Assert.Empty(harness.Logs.Lines);
    }

    [Fact]
    public async Task A_failed_test_on_the_settings_page_writes_one_log_line_and_answers_htmx_with_the_error_beside_the_button()
    {
        await using var fakes = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, 500, """{"message": "boom"}"""));
        using var app = new IntegrationApp(fakes.Url);
        using var browser = await app.BrowserAsync();
        var before = app.Logs.Lines.Count;

        var response = await browser.PostHtmxAsync("/Settings?handler=Test", new() { ["Integration"] = "notion" }, formPage: "/Settings");

        var fragment = HtmlClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("Failed: Notion answered 500", fragment.QuerySelector(".field-error")!.TextContent);
        Assert.Single(fakes.Received);
        var logged = app.Logs.Lines.Skip(before).Where(line => line.StartsWith("Warning", StringComparison.Ordinal) || line.StartsWith("Error", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(logged);
        Assert.Contains("Connection test of notion failed", line);
    }

    [Fact]
    public async Task Authorize_with_google_without_a_client_id_says_so_beside_its_button_in_the_error_style()
    {
        await using var fakes = await FakeServer.StartAsync(Healthy);
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?> { ["Gmail:ClientId"] = null });
        using var browser = await app.BrowserAsync();

        var plain = HtmlClient.Parse(await (await browser.PostFormAsync("/Settings?handler=AuthorizeGmail", [], formPage: "/Settings")).Content.ReadAsStringAsync());
        var htmx = HtmlClient.Parse(await (await browser.PostHtmxAsync("/Settings?handler=AuthorizeGmail", [], formPage: "/Settings")).Content.ReadAsStringAsync());

        Assert.Contains("Gmail:ClientId", plain.QuerySelector("#authorize-gmail-result .field-error")!.TextContent);
        Assert.Null(plain.QuerySelector(".notice"));
        Assert.Contains("Gmail:ClientId", htmx.QuerySelector(".field-error")!.TextContent);
    }
}
