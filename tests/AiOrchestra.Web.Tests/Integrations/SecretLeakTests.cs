using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Web.Tests.Integrations;

/// <summary>
/// Every secret set to a recognisable value, workflows that succeed and fail against providers that repeat the
/// credentials they were sent: no secret may show anywhere a person or a script can read.
/// </summary>
[Trait("Provider", "sqlite")] // its SQLite file, or processes on SQLite: once, in the SQLite pass
public sealed class SecretLeakTests
{
    /// <summary>A careless provider that repeats the credentials it was sent (header, body, query) in its error.</summary>
    private static Task Echo(int status, RecordedRequest request, HttpContext context)
    {
        var echo = JsonValue.Create($"rejected {request.Header("Authorization")} with {request.Body} ({request.Query})").ToJsonString();
        return FakeServer.Json(context, status, $$"""{"error": "invalid_client", "error_description": {{echo}}, "message": {{echo}}}""");
    }

    private static bool IsOpenAIOrGmail(RecordedRequest request) =>
        request.Path.StartsWith("/v1/chat/", StringComparison.Ordinal) || request.Path == "/token" || request.Path.StartsWith("/gmail/", StringComparison.Ordinal);

    [Fact]
    public async Task No_secret_appears_in_logs_stored_rows_api_responses_or_pages_whether_runs_succeed_or_fail()
    {
        Func<RecordedRequest, HttpContext, Task> respond = ExampleWorkflowsTests.Providers;
        await using var fakes = await FakeServer.StartAsync((request, context) => respond(request, context));
        // the Notion token comes from the Settings page's encrypted store instead of the environment
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?> { ["Notion:Token"] = null }, sqliteOnly: true); // reads the SQLite file
        using var api = await app.AdminAsync();
        using var browser = await app.BrowserAsync();
        var seen = new List<string>();

        var stored = await browser.PostFormAsync("/Settings?handler=Save",
            new() { ["Key"] = "Notion:Token", ["Value"] = IntegrationHarness.NotionToken }, formPage: "/Settings");
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        seen.Add(await stored.Content.ReadAsStringAsync());

        async Task<JsonNode> Run(string workflowId, bool succeeds)
        {
            var result = await IntegrationApp.ExecuteAsync(api, workflowId, workflowId == "email_to_notion" ? new { notion_page_id = "parent-page-1" } : null);
            Assert.True(succeeds == (bool)result["success"]!, result.ToJsonString());
            seen.Add(result.ToJsonString());
            return result;
        }

        // all succeed; the Notion page was written with the stored token
        await Run("simple_ai_completion", succeeds: true);
        await Run("email_to_notion", succeeds: true);
        await Run("generate_sop_to_github", succeeds: true);
        Assert.Equal($"Bearer {IntegrationHarness.NotionToken}", fakes.Received.Last(r => r.Path == "/v1/pages").Header("Authorization"));

        // every provider refuses the credentials and repeats them: OpenAI's key, Gmail's client secret and refresh token;
        // in runs and in the Settings page's connection tests
        respond = (request, context) => Echo(401, request, context);
        await Run("simple_ai_completion", succeeds: false);
        var refused = await Run("email_to_notion", succeeds: false);
        Assert.Contains("[redacted: ", refused["errors"]!.ToJsonString());
        foreach (var integration in new[] { "openai", "github", "notion", "gmail" })
        {
            var tested = await browser.PostFormAsync("/Settings?handler=Test", new() { ["Integration"] = integration }, formPage: "/Settings");
            var page = await tested.Content.ReadAsStringAsync();
            Assert.Contains("Failed: ", page);
            seen.Add(page);
        }

        // OpenAI and Gmail answer, Notion and GitHub refuse their tokens and repeat them
        respond = (request, context) => IsOpenAIOrGmail(request) ? ExampleWorkflowsTests.Providers(request, context) : Echo(401, request, context);
        await Run("email_to_notion", succeeds: false);
        await Run("generate_sop_to_github", succeeds: false);

        // server errors (retried by the pipeline) repeating OpenAI's key and Gmail's access token
        respond = (request, context) => request.Path == "/token" ? GmailStepTests.Gmail(request, context) : Echo(500, request, context);
        await Run("simple_ai_completion", succeeds: false);
        await Run("email_to_notion", succeeds: false);

        // the fakes did receive every credential, so the checks below are not vacuous
        var sent = string.Join("\n", fakes.Received.Select(r => $"{r.Header("Authorization")} {Uri.UnescapeDataString(r.Body)}"));
        Assert.All(IntegrationHarness.Secrets, secret => Assert.Contains(secret, sent));

        // the API: run list, each run, its log and its events; the dashboard: run history, each run, home, settings
        var runs = (await (await api.GetAsync("/api/runs")).JsonAsync())["runs"]!.AsArray().Select(r => (string)r!["run_id"]!).ToList();
        Assert.Equal(9, runs.Count);
        seen.Add(await api.GetStringAsync("/api/runs"));
        seen.Add(await browser.GetStringAsync("/Logs"));
        seen.Add(await browser.GetStringAsync("/"));
        foreach (var runId in runs)
        {
            seen.Add(await api.GetStringAsync($"/api/runs/{runId}"));
            seen.Add(await api.GetStringAsync($"/api/runs/{runId}/log"));
            seen.Add(await api.GetStringAsync($"/api/runs/{runId}/events"));
            seen.Add(await browser.GetStringAsync($"/Logs/{runId}"));
        }
        var settingsPage = await browser.GetStringAsync("/Settings");
        seen.Add(settingsPage);
        // masked, yet recognisable by their ends
        Assert.Contains(IntegrationHarness.OpenAIKey[^4..], settingsPage);
        Assert.Contains(IntegrationHarness.NotionToken[^4..], settingsPage);

        seen.AddRange(app.Logs.Lines);
        seen.Add(DatabaseText(app.DatabaseFile));
        // every byte of every file the app wrote: the database, its journal, the encrypted secrets file
        foreach (var file in Directory.EnumerateFiles(app.Folder, "*", SearchOption.AllDirectories))
        {
            seen.Add(FileText(file));
        }

        var scrubbed = seen.Count(text => text.Contains("[redacted: ", StringComparison.Ordinal));
        Assert.True(scrubbed > 0, "the careless providers' echoes should have been scrubbed somewhere");
        // as sent, and as a form or a query string carries them (1//x is 1%2F%2Fx)
        foreach (var secret in IntegrationHarness.Secrets.Concat(IntegrationHarness.Secrets.Select(Uri.EscapeDataString)).Distinct())
        {
            var leaks = seen.Where(text => text.Contains(secret, StringComparison.Ordinal)).Select(text => text.Length > 300 ? text[..300] : text).ToList();
            Assert.True(leaks.Count == 0, $"{secret} leaked into: {string.Join("\n---\n", leaks)}");
        }
    }

    [Fact]
    public async Task A_secret_at_the_cut_of_a_long_error_text_is_masked_before_the_text_is_cut()
    {
        // a body that is not JSON is shown cut at 300 characters; the token starts just before the cut
        var body = new string('x', 290) + " " + IntegrationHarness.NotionToken + " and more text after it";
        await using var server = await FakeServer.StartAsync((_, context) => FakeServer.Text(context, 400, body));
        await using var harness = IntegrationHarness.Create(server.Url);

        var error = await harness.FailAsync("notion", "search", new JsonObject { ["query"] = "x" });

        Assert.Contains("[redacted", error.Message);
        Assert.DoesNotContain(IntegrationHarness.NotionToken[..9], error.Message);
    }

    /// <summary>Every value of every column of every table, as text.</summary>
    private static string DatabaseText(string file)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }
        Assert.Contains("runs", tables);
        Assert.Contains("run_steps", tables);
        var text = new StringBuilder();
        foreach (var table in tables)
        {
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    text.Append(reader.IsDBNull(i) ? "" : reader.GetValue(i) is byte[] bytes ? Encoding.UTF8.GetString(bytes) : Convert.ToString(reader.GetValue(i)))
                        .Append('\n');
                }
            }
        }
        return text.ToString();
    }

    private static string FileText(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Encoding.Latin1.GetString(copy.ToArray());
    }
}
