using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using AiOrchestra.Web.Tests.Store;

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
        Assert.Matches(new Regex("""^aiorchestra_runs_queued\{[^}]*\} 0\b""", RegexOptions.Multiline), text);
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
    }
}
