using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Runs;

/// <summary>
/// The disk fills while a run is in flight. Simulated faithfully without filling a real disk: the database is capped
/// (Database:MaxSizeMegabytes, SQLite's max_page_count) and the test fills it up to the cap, so writes that need
/// space fail with SQLITE_FULL as on a full disk.
/// </summary>
[Trait("Provider", "sqlite")] // its SQLite file, or processes on SQLite: once, in the SQLite pass
public sealed class DiskFullTests
{
    private const int CapMegabytes = 4;

    private sealed class CappedApp() : ApiFactory(sqliteOnly: true)
    {
        public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

        public FakeSteps Steps { get; } = new();


        public HttpClient Browser()
        {
            Uri address;
            using (var probe = Anonymous())
            {
                address = probe.BaseAddress!;
            }
            return new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = address };
        }

        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["Database:MaxSizeMegabytes"] = CapMegabytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(Time);
                services.TryAddEnumerable(ServiceDescriptor.Singleton<IStepType>(Steps));
            });
        }
    }

    private const string Workflow = """
        {"workflow_id": "held_then_big", "steps": [
          {"step_id": "hold", "step_type": "fake", "action": "block", "parameters": {"text": "held"}},
          {"step_id": "big", "step_type": "template", "action": "render", "parameters": {"text": "{{payload}}"}}],
         "variables": {"payload": ""}}
        """;

    [Fact]
    public async Task A_run_in_flight_is_handed_back_requests_get_503_health_reports_it_and_the_run_finishes_once_space_is_back()
    {
        using var app = new CappedApp();
        using var api = await app.AdminAsync();
        using var browser = app.Browser();
        var login = await browser.PostFormAsync("/Account/Login", new() { ["UserName"] = ApiFactory.AdminUser, ["Password"] = ApiFactory.AdminPassword });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow))).StatusCode);
        var payload = new string('p', 100_000);
        var entered = app.Steps.ResetEntered();
        var queued = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "held_then_big", variables = new { payload }, wait = false });
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var runId = (string)(await queued.JsonAsync())["run_id"]!;
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // the disk fills while the first step runs; the second step's output then cannot be stored
        Fill(app.DatabaseFile);
        app.Steps.Blocking = false;
        app.Steps.Release();

        // the writes fail: /health says so, and the run is neither failed nor lost: it waits, running, for recovery
        var health = await EventuallyAsync(() => app.Anonymous().GetAsync("/health"), r => r.StatusCode == HttpStatusCode.ServiceUnavailable,
            "/health never reported the failing writes");
        Assert.Equal("unhealthy", (string?)JsonNode.Parse(await health.Content.ReadAsStringAsync())!["checks"]!["store-writes"]);
        Assert.Equal("running", (string?)(await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync())["status"]);

        // a write through the API is refused with 503, a sentence and Retry-After; nothing is half-stored
        var prompt = await api.PostAsJsonAsync("/api/prompts", new { template_id = "big_prompt", name = "Big", template = payload });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, prompt.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), prompt.Headers.RetryAfter?.Delta);
        var problem = await prompt.ProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Contains("the disk is full", (string?)problem["detail"]);

        // so is a new run: it is not started, and says why
        var refused = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "held_then_big", variables = new { payload }, wait = false });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("the disk is full", (string?)(await refused.ProblemAsync(HttpStatusCode.ServiceUnavailable))["detail"]);

        // so is a page's: a short message, not an empty 500
        var page = await browser.PostFormAsync("/Prompts/Edit", new() { ["TemplateId"] = "big_page_prompt", ["Name"] = "Big", ["Template"] = payload });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), page.Headers.RetryAfter?.Delta);
        Assert.Contains("the disk is full", await page.Content.ReadAsStringAsync());

        // space comes back: the lease is released (or runs out), recovery takes the run and finishes it from its unfinished step
        Free(app.DatabaseFile);
        JsonNode run = null!;
        await Eventually(async () =>
        {
            app.Time.Advance(TimeSpan.FromSeconds(31));
            run = await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
            return (string?)run["status"] == "succeeded";
        }, "the handed-back run never finished");
        Assert.Equal(payload.Length, ((string?)run["steps"]![1]!["output"])!.Length);
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/health")).StatusCode);

        // nothing half-stored, nothing corrupted: the one run, the file whole
        var runs = await (await api.GetAsync("/api/runs")).JsonAsync();
        Assert.Equal([runId], runs["runs"]!.AsArray().Select(r => (string?)r!["run_id"]));
        using var check = Open(app.DatabaseFile);
        using var integrity = check.CreateCommand();
        integrity.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", integrity.ExecuteScalar());
    }

    /// <summary>Fills the database up to its cap, as a full disk leaves it.</summary>
    private static void Fill(string file)
    {
        using var connection = Open(file);
        Execute(connection, $"PRAGMA max_page_count = {CapMegabytes * 256}; CREATE TABLE filler (b BLOB);");
        foreach (var size in new[] { 1_000_000, 100_000, 10_000, 1_000, 100 })
        {
            try
            {
                while (true)
                {
                    Execute(connection, $"INSERT INTO filler VALUES (zeroblob({size}))");
                }
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 13)
            {
                // full at this size; smaller ones fill the rest
            }
        }
    }

    private static void Free(string file)
    {
        using var connection = Open(file);
        Execute(connection, "DROP TABLE filler");
    }

    private static SqliteConnection Open(string file)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 10000");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static async Task<HttpResponseMessage> EventuallyAsync(Func<Task<HttpResponseMessage>> send, Func<HttpResponseMessage, bool> done, string failure)
    {
        HttpResponseMessage response = null!;
        await Eventually(async () => done(response = await send()), failure);
        return response;
    }

    private static async Task Eventually(Func<Task<bool>> condition, string failure)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail(failure);
    }
}
