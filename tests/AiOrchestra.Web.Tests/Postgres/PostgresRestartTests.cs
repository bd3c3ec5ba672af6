using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// The PostgreSQL server restarted for real (on a cluster of the test's own) while two app processes have runs in
/// flight: no run is lost, no finished step is called again, and the processes answer and run as before.
/// </summary>
[Trait("Provider", "postgres")]
[Collection(AppProcesses.Collection)]
public sealed class PostgresRestartTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(180);

    [PostgresFact]
    public async Task A_server_restarted_under_runs_in_flight_loses_none_calls_no_finished_step_again_and_the_app_goes_on()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var connectionString = await cluster.CreateDatabaseAsync("aiorchestra");
        await using var fakes = await ProcessFakes.StartAsync();
        fakes.Close();
        await using var processes = await AppProcesses.StartOnAsync(connectionString, 2, new Dictionary<string, string>
        {
            ["Runs__Concurrency"] = "4",
            ["Runs__PollSeconds"] = "1",
            ["Runs__MaxShare"] = "1",
            ["Outbound__Allow"] = "127.0.0.1",
        });
        var apps = processes.Apps;
        var token = await apps[0].LogInAsync();
        apps[1].UseToken(token);
        await ProcessFakes.SaveAsync(apps[0].Http, new
        {
            workflow_id = "restart", name = "Restart",
            steps = new[] { fakes.HttpStep("first", "count"), fakes.HttpStep("second", "hold"), fakes.HttpStep("third", "count") },
            variables = new { n = "" },
        });
        const int count = 6;
        var runs = await Task.WhenAll(Enumerable.Range(0, count).Select(i => ProcessFakes.QueueAsync(apps[i % 2].Http, "restart", new { n = i })));
        // every run is in flight: its first step finished, its second held
        await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo("/hold/second") == count, Limit, () => fakes.Summary);

        // requests at once leave connections idle in each process's pool
        await Task.WhenAll(apps.SelectMany(app => Enumerable.Range(0, 12).Select(i => app.Http.GetStringAsync($"/api/runs/{runs[i % count]}"))));

        await cluster.RestartAsync();

        // the connections the pools held died with the server: the first request that meets one may fail, then the
        // pool is emptied, and the requests after it open new connections
        foreach (var app in apps)
        {
            var refused = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                using var response = await app.Http.GetAsync($"/api/runs/{runs[i % count]}");
                if (!response.IsSuccessStatusCode)
                {
                    refused.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
            Assert.True(refused.Count <= 1, $"{app.Address}: {refused.Count} of 20 requests refused after the restart: {string.Join(" | ", refused)}");
        }
        fakes.Open();

        var statuses = await WaitForFinishAsync(apps[1].Http, runs);
        Assert.All(statuses.Values, status => Assert.Equal("succeeded", status));
        Assert.All(Enumerable.Range(0, count), i =>
        {
            Assert.Equal(1, fakes.Calls($"/count/first?n={i}"));
            // the step in flight finished once the server was back: its result was stored, not lost to a dead connection
            Assert.Equal(1, fakes.Calls($"/hold/second?n={i}"));
            Assert.Equal(1, fakes.Calls($"/count/third?n={i}"));
        });
        // both processes healthy again, and a new run on each goes through
        foreach (var app in apps)
        {
            await ProcessFakes.WaitUntilAsync(async () => (await app.Http.GetAsync("/health")).IsSuccessStatusCode, Limit,
                () => $"{app.Address} healthy again");
            using var health = await app.Http.GetAsync("/health");
            Assert.Equal("healthy", (string?)JsonNode.Parse(await health.Content.ReadAsStringAsync())!["status"]);
            // listening again for the other process's live events
            await ProcessFakes.WaitUntilAsync(() => app.ListeningAsync(connectionString), Limit, () => $"{app.Address} listening again");
        }
        var after = await Task.WhenAll(apps.Select((app, i) => ProcessFakes.QueueAsync(app.Http, "restart", new { n = 100 + i })));
        Assert.All((await WaitForFinishAsync(apps[0].Http, after)).Values, status => Assert.Equal("succeeded", status));
    }

    /// <summary>The runs' statuses once all have finished; a request refused meanwhile (503 while writes fail) is asked again.</summary>
    private static async Task<Dictionary<string, string>> WaitForFinishAsync(HttpClient api, IEnumerable<string> runIds)
    {
        var statuses = runIds.ToDictionary(id => id, _ => "queued");
        await ProcessFakes.WaitUntilAsync(async () =>
        {
            foreach (var runId in statuses.Keys.ToList())
            {
                using var response = await api.GetAsync($"/api/runs/{runId}");
                if (response.IsSuccessStatusCode)
                {
                    statuses[runId] = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]!;
                }
            }
            return statuses.Values.All(s => s is not ("queued" or "running" or "waiting"));
        }, Limit, () => string.Join(", ", statuses.Select(s => $"{s.Key} {s.Value}")));
        return statuses;
    }
}
