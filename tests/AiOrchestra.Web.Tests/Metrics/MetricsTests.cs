using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.Metrics;

public sealed class MetricsTests : IDisposable
{
    private const string Token = "scrape-token-0123456789";
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private static Dictionary<string, string?> Enabled() => new() { ["Metrics:Enabled"] = "true", ["Metrics:Token"] = Token };

    [Fact]
    public async Task A_scrape_after_a_run_shows_it_started_finished_and_timed_by_workflow_status_and_step_type()
    {
        var steps = new FakeSteps();
        await using var host = new StoreHost(_database, steps, Enabled());
        var owner = await host.CreateUserAsync("ada");
        // a workflow id no other test uses: instruments of the same name are seen process-wide
        await host.SaveAsync(owner, FakeSteps.Workflow("metered", FakeSteps.Step("hello", "echo", "hi"), FakeSteps.Step("again", "echo", "hi")));
        var run = await host.EnqueueAsync(owner, "metered");
        await host.WaitForRunAsync(owner, run);
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Matches(new Regex("""^aiorchestra_runs_started_total\{[^}]*workflow="metered"[^}]*\} 1\b""", RegexOptions.Multiline), text);
        Assert.Matches(new Regex("""^aiorchestra_runs_finished_total\{(?=[^}]*status="succeeded")(?=[^}]*workflow="metered")[^}]*\} 1\b""", RegexOptions.Multiline), text);
        Assert.Matches(new Regex("""^aiorchestra_run_duration_seconds_count\{(?=[^}]*status="succeeded")(?=[^}]*workflow="metered")[^}]*\} 1\b""", RegexOptions.Multiline), text);
        Assert.Matches(new Regex("""^aiorchestra_step_duration_seconds_count\{(?=[^}]*status="succeeded")(?=[^}]*step_type="fake")[^}]*\} \d+""", RegexOptions.Multiline), text);
        // the queue gauges are read when scraped, and this host's exporter also hears the gauges of the other test hosts
        // running in this process (one meter name): one with runs queued, or closing as it is read, can hide this host's
        // 0 from one scrape, so scrape again until it shows (a few seconds at most)
        var queued = new Regex("""^aiorchestra_runs_queued\{[^}]*\} 0\b""", RegexOptions.Multiline);
        var oldest = new Regex("""^aiorchestra_runs_oldest_queued_age_seconds\{[^}]*\} 0\b""", RegexOptions.Multiline);
        for (var scrape = 1; scrape < 50 && !(queued.IsMatch(text) && oldest.IsMatch(text)); scrape++)
        {
            await Task.Delay(100);
            text = await client.GetStringAsync("/metrics");
        }
        Assert.Matches(queued, text);
        Assert.Matches(oldest, text);
    }

    [Fact]
    public async Task Retention_deletions_are_counted()
    {
        await using var host = new StoreHost(_database, new FakeSteps(), new(Enabled()) { ["Retention:MaxRuns"] = "1" });
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("pruned", FakeSteps.Step("hello", "echo", "hi")));
        await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, "pruned"));
        await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, "pruned"));

        // the app's own clean-up (its first pass follows the first answered request) may have deleted the older run
        // before this call: its deletions count the same
        await host.Get<AiOrchestra.Web.History.HistoryPruner>().PruneAsync(CancellationToken.None);
        Assert.Equal(1, await host.WithDbAsync(db => db.Runs.CountAsync()));

        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var text = await client.GetStringAsync("/metrics");
        Assert.Matches(new Regex("""^aiorchestra_retention_deleted_total\{[^}]*\} [1-9]""", RegexOptions.Multiline), text);
    }

    [Fact]
    public async Task An_address_in_the_allow_list_scrapes_without_a_token()
    {
        await using var host = new StoreHost(_database, new FakeSteps(), new() { ["Metrics:Enabled"] = "true", ["Metrics:AllowedAddresses:0"] = "10.1.2.3, 127.0.0.0/8" });
        host.UseKestrel(0);
        using var client = host.CreateClient();

        var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_address_outside_the_allow_list_is_refused_even_with_the_token()
    {
        await using var host = new StoreHost(_database, new FakeSteps(), new(Enabled()) { ["Metrics:AllowedAddresses:0"] = "10.0.0.0/8" });
        host.UseKestrel(0);
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Metrics__AllowedAddresses", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task With_both_an_allowed_address_still_needs_the_token()
    {
        await using var host = new StoreHost(_database, new FakeSteps(), new(Enabled()) { ["Metrics:AllowedAddresses:0"] = "127.0.0.1" });
        host.UseKestrel(0);
        using var client = host.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/metrics")).StatusCode);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task A_malformed_allow_list_entry_stops_the_start_naming_it()
    {
        await using var host = new StoreHost(_database, new FakeSteps(), new() { ["Metrics:Enabled"] = "true", ["Metrics:AllowedAddresses:0"] = "10.0.0.0/99" });

        var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());

        Assert.Contains("'10.0.0.0/99'", error.ToString());
    }

    [Fact]
    public async Task A_scrape_without_the_token_or_with_a_wrong_one_is_refused()
    {
        await using var host = new StoreHost(_database, new FakeSteps(), Enabled());
        using var client = host.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/metrics")).StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "scrape-token-0123456780");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);
    }

    [Fact]
    public async Task Metrics_are_off_unless_enabled()
    {
        await using var host = new StoreHost(_database, new FakeSteps());
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Enabled_without_a_token_stops_the_start_naming_the_setting()
    {
        await using var host = new StoreHost(_database, new FakeSteps(), new() { ["Metrics:Enabled"] = "true" });

        var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());

        Assert.Contains("Metrics:Token", error.ToString());
        Assert.Contains("Metrics:AllowedAddresses", error.ToString());
    }
}
