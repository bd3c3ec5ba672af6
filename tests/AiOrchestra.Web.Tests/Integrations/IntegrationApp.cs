using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// The whole app (as <see cref="ApiFactory"/> hosts it) with every integration's base URL pointed at one fake server,
/// every secret set to the harness's recognisable values (unless <paramref name="settings"/> removes one), the
/// resilience pipeline's delays cut to milliseconds, secrets stored in the test's temp folder, and every log line
/// of every level captured (or, with <paramref name="everyLevel"/> false, what the app's log levels let through).
/// </summary>
internal sealed class IntegrationApp(string fakeUrl, IReadOnlyDictionary<string, string?>? settings = null, bool everyLevel = true, bool sqliteOnly = false)
    : ApiFactory(sqliteOnly)
{
    public CapturedLogs Logs { get; } = new();

    public string Folder => Path.GetDirectoryName(DatabaseFile)!;

    protected override IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var values = new Dictionary<string, string?>
            {
                ["OpenAI:ApiKey"] = IntegrationHarness.OpenAIKey,
                ["OpenAI:BaseUrl"] = fakeUrl + "/v1",
            ["Anthropic:ApiKey"] = IntegrationHarness.AnthropicKey,
            ["Anthropic:BaseUrl"] = fakeUrl,
            ["Local:BaseUrl"] = fakeUrl + "/local/v1",
                ["GitHub:Token"] = IntegrationHarness.GitHubToken,
                ["GitHub:BaseUrl"] = fakeUrl + "/",
                ["Notion:Token"] = IntegrationHarness.NotionToken,
                ["Notion:BaseUrl"] = fakeUrl,
                ["Gmail:ClientId"] = IntegrationHarness.GmailClientId,
                ["Gmail:ClientSecret"] = IntegrationHarness.GmailClientSecret,
                ["Gmail:RefreshToken"] = IntegrationHarness.GmailRefreshToken,
                ["Gmail:BaseUrl"] = fakeUrl,
                ["Gmail:TokenUrl"] = fakeUrl + "/token",
                ["Integrations:Resilience:Retry:Delay"] = "00:00:00.001",
                ["Integrations:Resilience:Retry:MaxRetryAttempts"] = "2",
                ["DataFolder"] = Folder,
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                values[key] = value;
            }
            return values.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value!);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (everyLevel)
        {
            builder.ConfigureLogging(logging => logging.AddFilter<CapturedLogs>(null, LogLevel.Trace));
        }
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<ILoggerProvider>(Logs);
            // keys in memory: nothing written under the repository's data/keys/
            services.AddSingleton<IDataProtectionProvider, EphemeralDataProtectionProvider>();
        });
    }

    /// <summary>A browser: cookies kept, redirects not followed, signed in through the login form.</summary>
    public async Task<HttpClient> BrowserAsync()
    {
        Uri address;
        using (var probe = Anonymous())
        {
            // on Kestrel the default base address (http://localhost) is not where the server listens
            address = probe.BaseAddress!;
        }
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = address };
        var response = await client.PostFormAsync("/Account/Login", new() { ["UserName"] = AdminUser, ["Password"] = AdminPassword });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    /// <summary>Runs the workflow through POST /api/workflows/execute, waiting for its result.</summary>
    public static async Task<JsonNode> ExecuteAsync(HttpClient api, string workflowId, object? variables = null)
    {
        var response = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = workflowId, variables });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The server-sent events of <paramref name="url"/>, read as they arrive.</summary>
    public static async IAsyncEnumerable<SseItem<string>> EventsAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            yield return item;
        }
    }
}
