using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Integrations;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// Three real app processes (the built AiOrchestra.Web, each on its own port and data folder) on one PostgreSQL
/// database, their outside world a fake in the test's process: they share the queue without ever running a step
/// twice, a live view on one follows a run another executes (its LLM tokens too), and a schedule fires once.
/// </summary>
[Trait("Provider", "postgres")]
[Collection(AppProcesses.Collection)]
public sealed class ThreeProcessTests(ThreeProcessTests.Processes processes) : IClassFixture<ThreeProcessTests.Processes>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [PostgresFact]
    public async Task Runs_queued_on_three_processes_are_shared_and_no_step_is_called_twice()
    {
        var (apps, fakes) = (processes.Apps, processes.Fakes);
        fakes.Close();
        await ProcessFakes.SaveAsync(apps[0].Http, new
        {
            workflow_id = "claims", name = "Claims",
            steps = new[] { fakes.HttpStep("first", "hold"), fakes.HttpStep("second", "count") },
            variables = new { n = "" },
        });

        // queued on all three at once, more than their slots (4 each): every process claims from the same queue
        const int count = 30;
        var runs = await Task.WhenAll(Enumerable.Range(0, count).Select(i => ProcessFakes.QueueAsync(apps[i % 3].Http, "claims", new { n = i })));
        await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo("/hold/first") >= 12, Limit, () => fakes.Summary);
        // every process holds runs at once: their share of the queue, as /health reports it
        var shares = await Task.WhenAll(apps.Select(async app => JsonNode.Parse(await app.Http.GetStringAsync("/health"))!["queue"]!["running_here"]!.GetValue<int>()));
        fakes.Open();
        var statuses = await ProcessFakes.WaitForFinishAsync(apps[1].Http, runs, Limit);

        Assert.All(statuses.Values, status => Assert.Equal("succeeded", status));
        Assert.All(Enumerable.Range(0, count), i =>
        {
            Assert.Equal(1, fakes.Calls($"/hold/first?n={i}"));
            Assert.Equal(1, fakes.Calls($"/count/second?n={i}"));
        });
        Assert.All(shares, share => Assert.Equal(4, share));
    }

    [PostgresFact]
    public async Task A_live_view_on_one_process_follows_a_run_another_executes_tokens_included_and_replays_from_an_id_on_a_third()
    {
        var (apps, fakes) = (processes.Apps, processes.Fakes);
        fakes.Close();
        await ProcessFakes.SaveAsync(apps[0].Http, new
        {
            workflow_id = "live", name = "Live",
            steps = new object[]
            {
                fakes.HttpStep("before", "big"),
                new { step_id = "complete", step_type = "openai", action = "generate_completion", parameters = new { prompt = "Say {{n}}", model = "gpt-4o-mini" } },
            },
            variables = new { n = "" },
        });
        var runId = await ProcessFakes.QueueAsync(apps[0].Http, "live", new { n = 1 });
        // the stream is held after "alpha": the run is executing now, on one of the three
        await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo("/v1/chat/completions") == 1, Limit, () => fakes.Summary);
        var runner = await AppProcesses.RunnerAsync(apps, processes.ConnectionString, runId);
        var viewer = apps.First(app => app != runner);
        var replayer = apps.Last(app => app != runner);

        await using var live = ReadEventsAsync(viewer.Http, runId, lastEventId: null).GetAsyncEnumerator();
        var soFar = await ReadUntilAsync(live, e => e.EventType == "step-delta");
        Assert.Equal("alpha", (string?)JsonNode.Parse(soFar[^1].Data)!["delta"]);
        Assert.DoesNotContain(soFar, e => e.EventType is "run-finished");
        Assert.Equal("running", await ProcessFakes.StatusAsync(viewer.Http, runId));
        // an event far over NOTIFY's 8000-byte limit came across whole
        var before = JsonNode.Parse(soFar.Single(e => e.EventType == "step-finished").Data)!;
        Assert.Equal(ProcessFakes.BigText, (string?)before["output"]!["json"]!["text"]);

        // a client that saw the first events reconnects to the third process with its Last-Event-ID
        var seen = soFar[0].EventId!;
        await using var resumed = ReadEventsAsync(replayer.Http, runId, seen).GetAsyncEnumerator();
        var resumedSoFar = await ReadUntilAsync(resumed, e => e.EventType == "step-delta");

        fakes.Open();
        var rest = await ReadUntilAsync(live, e => e.EventType == "run-finished");
        var resumedRest = await ReadUntilAsync(resumed, e => e.EventType == "run-finished");

        var all = soFar.Concat(rest).ToList();
        Assert.Equal(" beta", (string?)JsonNode.Parse(rest.Single(e => e.EventType == "step-delta").Data)!["delta"]);
        Assert.Equal("alpha beta", (string?)JsonNode.Parse(rest.Single(e => e.EventType == "step-finished").Data)!["output"]);
        Assert.Equal("succeeded", (string?)JsonNode.Parse(all[^1].Data)!["status"]);
        // ids as the executing process gave them: 1, 2, 3... with no gap
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => i.ToString()), all.Select(e => e.EventId));
        // the reconnected client got exactly what came after its id, with the same ids and data
        Assert.Equal(all.SkipWhile(e => e.EventId != seen).Skip(1).Select(e => (e.EventId, e.EventType, e.Data)),
            resumedSoFar.Concat(resumedRest).Select(e => (e.EventId, e.EventType, e.Data)));
    }

    [PostgresFact]
    public async Task A_view_whose_process_loses_its_listen_connection_mid_run_still_gets_every_event_once_in_order()
    {
        var (apps, fakes) = (processes.Apps, processes.Fakes);
        fakes.Close();
        await ProcessFakes.SaveAsync(apps[0].Http, new
        {
            workflow_id = "gap", name = "Gap",
            steps = new object[]
            {
                new { step_id = "complete", step_type = "openai", action = "generate_completion", parameters = new { prompt = "Say {{n}}", model = "gpt-4o-mini" } },
                fakes.HttpStep("gap", "wait"),
                fakes.HttpStep("after", "count"),
            },
            variables = new { n = "" },
        });
        var completions = fakes.CallsTo("/v1/chat/completions");
        var runId = await ProcessFakes.QueueAsync(apps[0].Http, "gap", new { n = 7 });
        await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo("/v1/chat/completions") == completions + 1, Limit, () => fakes.Summary);
        var runner = await AppProcesses.RunnerAsync(apps, processes.ConnectionString, runId);
        var viewer = apps.First(app => app != runner);

        await using var live = ReadEventsAsync(viewer.Http, runId, lastEventId: null).GetAsyncEnumerator();
        var soFar = await ReadUntilAsync(live, e => e.EventType == "step-delta");
        await using var reference = ReadEventsAsync(runner.Http, runId, lastEventId: null).GetAsyncEnumerator();

        // the viewer's process loses its LISTEN session, and every new one, while the run goes on to its step "gap":
        // what is sent meanwhile ("beta", the step's end, the next step's start) it does not hear
        using var stopCutting = new CancellationTokenSource();
        var firstCut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cutting = AppProcesses.CutSessionsAsync(
            processes.ConnectionString, AiOrchestra.Web.Data.Postgres.RunEventRelay.ListenerName(viewer.Process.Id), firstCut, stopCutting.Token);
        await firstCut.Task.WaitAsync(Limit);
        fakes.Open();
        var beforeGapStep = await ReadUntilAsync(reference, e => e.EventType == "step-started" && JsonNode.Parse(e.Data)!["step_id"]?.GetValue<string>() == "gap");
        await stopCutting.CancelAsync();
        await cutting;
        // listening again, it hears the rest of the run as it happens
        await ProcessFakes.WaitUntilAsync(() => viewer.ListeningAsync(processes.ConnectionString), Limit, () => "the viewer's process listening again");
        fakes.Release("gap");
        var expected = beforeGapStep.Concat(await ReadUntilAsync(reference, e => e.EventType == "run-finished")).ToList();

        var all = soFar.Concat(await ReadUntilAsync(live, e => e.EventType == "run-finished")).ToList();
        // every event once, in order, under the executing process's ids, those sent while it was not listening included
        Assert.Equal(expected.Select(e => (e.EventId, e.EventType, e.Data)), all.Select(e => (e.EventId, e.EventType, e.Data)));
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => i.ToString()), all.Select(e => e.EventId));
        Assert.Contains(all, e => e.EventType == "step-delta" && (string?)JsonNode.Parse(e.Data)!["delta"] == " beta");
        Assert.Equal("succeeded", (string?)JsonNode.Parse(all[^1].Data)!["status"]);
    }

    [PostgresFact]
    public async Task A_schedule_fires_each_due_time_once_across_the_three_processes()
    {
        var (apps, fakes) = (processes.Apps, processes.Fakes);
        fakes.Open();
        await ProcessFakes.SaveAsync(apps[2].Http, new
        {
            workflow_id = "ticks", name = "Ticks",
            steps = new[] { new { step_id = "tick", step_type = "http", action = "request", parameters = new { method = "GET", url = fakes.Url + "/count/tick?due={{trigger.due_at}}" } } },
            triggers = new[] { new { trigger_id = "every", type = "schedule", every_seconds = 1 } },
        });
        await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo("/count/tick") >= 6, Limit, () => fakes.Summary);
        using var delete = await apps[0].Http.DeleteAsync("/api/workflows/ticks");
        Assert.True(delete.IsSuccessStatusCode, $"deleting the workflow: {(int)delete.StatusCode}");

        var dues = fakes.Summary.Split(", ").Where(c => c.StartsWith("/count/tick?", StringComparison.Ordinal)).ToList();
        Assert.True(dues.Count >= 6, fakes.Summary);
        Assert.All(dues, due => Assert.EndsWith("×1", due));
    }

    [PostgresFact]
    public async Task An_approval_answered_on_one_process_lets_a_run_paused_on_another_go_on_and_a_rejection_fail_it()
    {
        var (apps, fakes) = (processes.Apps, processes.Fakes);
        fakes.Open();
        await ProcessFakes.SaveAsync(apps[0].Http, new
        {
            workflow_id = "gate", name = "Gate",
            steps = new object[]
            {
                new { step_id = "ask", step_type = "approval", action = "request", parameters = new { message = "Go on with {{n}}?" } },
                fakes.HttpStep("after", "count"),
            },
            variables = new { n = "" },
        });
        var approved = await ProcessFakes.QueueAsync(apps[0].Http, "gate", new { n = 1 });
        var rejected = await ProcessFakes.QueueAsync(apps[0].Http, "gate", new { n = 2 });
        await ProcessFakes.WaitUntilAsync(async () =>
            await ProcessFakes.StatusAsync(apps[0].Http, approved) == "waiting" && await ProcessFakes.StatusAsync(apps[0].Http, rejected) == "waiting",
            Limit, () => "both runs waiting for approval");

        using var approve = await apps[1].Http.PostAsJsonAsync($"/api/runs/{approved}/approve", new { comment = "yes" });
        using var reject = await apps[2].Http.PostAsJsonAsync($"/api/runs/{rejected}/reject", new { comment = "not this one" });
        Assert.True(approve.IsSuccessStatusCode, await approve.Content.ReadAsStringAsync());
        Assert.True(reject.IsSuccessStatusCode, await reject.Content.ReadAsStringAsync());
        var statuses = await ProcessFakes.WaitForFinishAsync(apps[0].Http, [approved, rejected], Limit);

        Assert.Equal("succeeded", statuses[approved]);
        Assert.Equal("failed", statuses[rejected]);
        Assert.Equal(1, fakes.Calls("/count/after?n=1"));
        Assert.Equal(0, fakes.Calls("/count/after?n=2"));
    }

    private static async IAsyncEnumerable<SseItem<string>> ReadEventsAsync(HttpClient api, string runId, string? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        using var response = await api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            yield return item;
        }
    }

    private static async Task<List<SseItem<string>>> ReadUntilAsync(IAsyncEnumerator<SseItem<string>> events, Func<SseItem<string>, bool> last)
    {
        var read = new List<SseItem<string>>();
        using var timeout = new CancellationTokenSource(Limit);
        while (true)
        {
            var next = events.MoveNextAsync().AsTask();
            if (await Task.WhenAny(next, Task.Delay(Timeout.Infinite, timeout.Token)) != next)
            {
                Assert.Fail($"no matching event within {Limit}; read: {string.Join(" | ", read.Select(e => $"{e.EventId} {e.EventType}"))}");
            }
            Assert.True(await next, $"the stream ended; read: {string.Join(" | ", read.Select(e => $"{e.EventId} {e.EventType}"))}");
            read.Add(events.Current);
            if (last(events.Current))
            {
                return read;
            }
        }
    }

    /// <summary>The three processes and their fakes, shared by the tests of the class (they run one after another).</summary>
    public sealed class Processes : IAsyncLifetime
    {
        public ProcessFakes Fakes { get; private set; } = null!;

        private AppProcesses? _processes;

        public IReadOnlyList<AppProcesses.App> Apps => _processes!.Apps;

        public string ConnectionString => _processes!.ConnectionString;

        public async Task InitializeAsync()
        {
            if (TestPostgres.Server is null)
            {
                return;
            }
            Fakes = await ProcessFakes.StartAsync();
            _processes = await AppProcesses.StartAsync(3, new Dictionary<string, string>
            {
                ["Runs__Concurrency"] = "4",
                ["Runs__PollSeconds"] = "1",
                ["Runs__MaxShare"] = "1",
                ["Outbound__Allow"] = "127.0.0.1",
                ["OpenAI__ApiKey"] = "sk-test-multi-process",
                ["OpenAI__BaseUrl"] = Fakes.Url + "/v1",
            });
            var token = await Apps[0].LogInAsync();
            foreach (var app in Apps.Skip(1))
            {
                app.UseToken(token); // one token for all: the signing key is the database's
            }
        }

        public async Task DisposeAsync()
        {
            if (_processes is not null)
            {
                await _processes.DisposeAsync();
            }
            if (Fakes is not null)
            {
                await Fakes.DisposeAsync();
            }
        }
    }
}
