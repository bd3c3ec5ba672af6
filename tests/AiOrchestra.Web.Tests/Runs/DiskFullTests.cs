using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
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
/// space fail with SQLITE_FULL as on a full disk. A full disk fails the run with what to do; a lock held too long,
/// which passes by itself, hands it back to be resumed.
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
            // the waiting caller's bound is on the test's clock, which the test moves on: long enough never to run out
            ["Api:ExecuteWaitSeconds"] = "300",
            // a locked database fails a command after 5 s instead of Microsoft.Data.Sqlite's 30
            ["ConnectionStrings:Default"] = $"Data Source={DatabaseFile};Default Timeout=5",
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
          {"step_id": "first", "step_type": "fake", "action": "echo", "parameters": {"text": "first"}},
          {"step_id": "big", "step_type": "fake", "action": "block", "parameters": {"text": "{{payload}}"}}],
         "variables": {"payload": ""}}
        """;

    [Fact]
    public async Task A_run_in_flight_fails_with_what_to_do_requests_get_503_health_reports_it_and_the_run_resumes_once_space_is_back()
    {
        using var app = new CappedApp();
        using var api = await app.AdminAsync();
        using var browser = app.Browser();
        var login = await browser.PostFormAsync("/Account/Login", new() { ["UserName"] = ApiFactory.AdminUser, ["Password"] = ApiFactory.AdminPassword });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow))).StatusCode);
        var payload = new string('p', 100_000);
        var entered = app.Steps.ResetEntered();
        // a caller waits for the run's result: it is answered with the failed run
        var executing = api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "held_then_big", variables = new { payload } });
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var runId = (string)(await (await api.GetAsync("/api/runs")).JsonAsync())["runs"]![0]!["run_id"]!;

        // the disk fills while the second step runs (the first is stored); its output then cannot be stored
        Fill(app.DatabaseFile);
        app.Steps.Blocking = false;
        app.Steps.Release();

        // the writes fail: /health says so
        var health = await EventuallyAsync(() => app.Anonymous().GetAsync("/health"), r => r.StatusCode == HttpStatusCode.ServiceUnavailable,
            "/health never reported the failing writes");
        Assert.Equal("unhealthy", (string?)JsonNode.Parse(await health.Content.ReadAsStringAsync())!["checks"]!["store-writes"]);

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

        // the run's outcome needs space too: it is kept and tried again on the clock, the run held here meanwhile, not
        // handed back (a resume would call its step again)
        app.Time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal("running", (string?)(await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync())["status"]);

        // space comes back: the run has ended failed, not handed back to fail again, and says which step and what to do
        Free(app.DatabaseFile);
        JsonNode run = null!;
        await Eventually(async () =>
        {
            app.Time.Advance(TimeSpan.FromSeconds(5));
            run = await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
            return (string?)run["status"] != "running";
        }, "the run never ended");
        Assert.Equal("failed", (string?)run["status"]);
        var error = string.Join("\n", run["errors"]!.AsArray().Select(e => (string?)e));
        Assert.Contains("Step 'big' (step 2) ran, but its result could not be stored: the disk is full", error);
        Assert.Contains("Free some space, then resume the run from that step (\"Resume from big\" on its page", error);
        Assert.Contains($"POST /api/runs/{runId}/resume", error);
        Assert.Equal(["succeeded", "failed"], run["steps"]!.AsArray().Select(s => (string?)s!["status"]));
        Assert.Null(run["steps"]![1]!["output"]);
        Assert.Equal((1, 1), (app.Steps.Calls(runId, "first"), app.Steps.Calls(runId, "big")));

        // the caller that waited is answered with the failed run; the page offers the resume the error names
        var executed = await executing.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, executed.StatusCode);
        var answer = await executed.JsonAsync();
        Assert.Equal(runId, (string?)answer["run_id"]);
        Assert.Equal("failed", (string?)answer["run_status"]);
        Assert.Contains("the disk is full", string.Join("\n", answer["errors"]!.AsArray().Select(e => (string?)e)));
        Assert.Contains("Resume from big", await (await browser.GetAsync($"/Logs/{runId}")).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/health")).StatusCode);

        // resumed as the error says: the first step keeps its result, the second runs again and is stored whole
        var resume = await (await api.PostAsync($"/api/runs/{runId}/resume", null)).JsonAsync();
        Assert.Equal("big", (string?)resume["from_step"]);
        var resumedId = (string)resume["run_id"]!;
        JsonNode resumed = null!;
        await Eventually(async () =>
        {
            resumed = await (await api.GetAsync($"/api/runs/{resumedId}")).JsonAsync();
            return (string?)resumed["status"] == "succeeded";
        }, "the resumed run never succeeded");
        Assert.Equal(payload.Length, ((string?)resumed["steps"]![1]!["output"])!.Length);
        Assert.Equal((1, 0, 1), (app.Steps.Calls(runId, "first"), app.Steps.Calls(resumedId, "first"), app.Steps.Calls(resumedId, "big")));

        // nothing half-stored, nothing corrupted: the two runs, the file whole
        var runs = await (await api.GetAsync("/api/runs")).JsonAsync();
        Assert.Equal([resumedId, runId], runs["runs"]!.AsArray().Select(r => (string?)r!["run_id"]));
        AssertWhole(app.DatabaseFile);
    }

    [Fact]
    public async Task A_database_locked_too_long_hands_the_run_back_and_it_resumes_when_the_lock_is_gone()
    {
        using var app = new CappedApp();
        using var api = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow))).StatusCode);
        var entered = app.Steps.ResetEntered();
        var queued = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "held_then_big", variables = new { payload = "small" }, wait = false });
        var runId = (string)(await queued.JsonAsync())["run_id"]!;
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // another process holds the write lock past the busy timeout while the second step's result is written (the first is stored)
        using (var holder = Open(app.DatabaseFile))
        {
            Execute(holder, "BEGIN IMMEDIATE");
            app.Steps.Blocking = false;
            app.Steps.Release();
            await EventuallyAsync(() => app.Anonymous().GetAsync("/health"), r => r.StatusCode == HttpStatusCode.ServiceUnavailable,
                "/health never reported the failing writes");
            Execute(holder, "ROLLBACK");
        }

        // a lock passes by itself: the run is not failed but handed back, and recovery finishes it from its unfinished step
        JsonNode run = null!;
        await Eventually(async () =>
        {
            run = await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
            if ((string?)run["status"] != "running")
            {
                return true;
            }
            app.Time.Advance(TimeSpan.FromSeconds(5));
            return false;
        }, "the handed-back run never finished");
        Assert.Equal("succeeded", (string?)run["status"]);
        Assert.Equal("small", (string?)run["steps"]![1]!["output"]);
        // which write meets the lock depends on timing: the big step's result (the step runs again on resume) or the
        // run's end (it does not); the step before it is never run again
        Assert.Equal(1, app.Steps.Calls(runId, "first"));
        Assert.InRange(app.Steps.Calls(runId, "big"), 1, 2);
        AssertWhole(app.DatabaseFile);
    }

    [Fact]
    public void A_full_disk_is_told_apart_from_failures_that_pass_by_its_code()
    {
        Assert.True(StoreFailures.IsDiskFull(new SqliteException("database or disk is full", 13)));
        Assert.True(StoreFailures.IsDiskFull(new InvalidOperationException("wrapped", new SqliteException("database or disk is full", 13))));
        Assert.True(StoreFailures.IsDiskFull(new Npgsql.PostgresException("could not extend file", "ERROR", "ERROR", "53100")));
        foreach (var passing in new Exception[]
        {
            new SqliteException("database is locked", 5),
            new SqliteException("disk I/O error", 10),
            new Npgsql.PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"),
            new Npgsql.PostgresException("out of memory", "ERROR", "ERROR", "53200"),
        })
        {
            Assert.True(StoreFailures.IsStorageFailure(passing));
            Assert.False(StoreFailures.IsDiskFull(passing));
        }
    }

    private static void AssertWhole(string file)
    {
        using var check = Open(file);
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
