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
        Assert.Contains("[secret]", problem);
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
        var result = HtmlClient.Parse(await connected.Content.ReadAsStringAsync()).QuerySelector("#test-github")!.TextContent;
        Assert.Equal("Connected.", result);
        var failure = HtmlClient.Parse(await failed.Content.ReadAsStringAsync()).QuerySelector("#test-github")!.TextContent;
        Assert.StartsWith("Failed: GitHub answered 401 Unauthorized", failure);
        Assert.Contains("GitHub:Token", failure);
        Assert.DoesNotContain(IntegrationHarness.GitHubToken, failure);
    }
}
