using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Data.Postgres;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// Two real app processes on one PostgreSQL database, one of them losing a LISTEN session while another process sends
/// what it should hear (a run's end, a wake-up for a run queued again, a cancel): once it listens again, nothing it
/// missed stays missed. And a run's pause on one process reaches a request waiting on it on the other. Each process has one slot; the first polls every 300 s, so only a wake gets its worker going
/// within a test, and the second every second. Held steps outlast every test's time limit.
/// </summary>
[Trait("Provider", "postgres")]
[Collection(AppProcesses.Collection)]
public sealed class ListenerDropTests(ListenerDropTests.Processes processes) : IClassFixture<ListenerDropTests.Processes>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [PostgresFact]
    public async Task An_execute_call_waiting_on_a_run_that_finished_elsewhere_while_its_process_was_not_listening_answers_with_the_run()
    {
        var (a, b, fakes) = (processes.A, processes.B, processes.Fakes);
        await Workflow(a, "finish_b", fakes.HttpStep("finish_b", "wait"));
        var (busy, busyStep) = await HoldSlotOfFirstAsync("busy_a");
        try
        {
            // the first process's slot is taken: a run queued there with wait runs on the second
            var call = a.Http.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "finish_b", variables = new { n = 2 }, wait = true });
            await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo("/wait/finish_b") == 1, Limit, () => fakes.Summary);
            var runId = (await RunOfAsync("finish_b"))!;
            Assert.Same(b, await AppProcesses.RunnerAsync(processes.Apps, processes.ConnectionString, runId));

            // it finishes while the waiting process does not listen: the end the second sends is not heard
            await WhileNotListeningAsync(RunEventRelay.ListenerName(a.Process.Id), async () =>
            {
                fakes.Release("finish_b");
                await ProcessFakes.WaitForFinishAsync(b.Http, [runId], Limit);
            });
            await ProcessFakes.WaitUntilAsync(() => a.ListeningAsync(processes.ConnectionString), Limit, () => "the first process listening again");

            // the answer is the finished run (200), not 202 "running" at the end of Api:ExecuteWaitSeconds (300 s here)
            using var response = await call.WaitAsync(Limit);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
            Assert.Equal(runId, (string?)JsonNode.Parse(body)!["run_id"]);
            Assert.True((bool)JsonNode.Parse(body)!["success"]!, body);
        }
        finally
        {
            fakes.Release(busyStep);
            fakes.Release("finish_b");
            await ProcessFakes.WaitForFinishAsync(a.Http, [busy], Limit);
        }
    }

    [PostgresFact]
    public async Task An_execute_call_waiting_on_a_run_that_pauses_for_approval_elsewhere_answers_waiting_without_waiting_out_its_time()
    {
        var (a, b, fakes) = (processes.A, processes.B, processes.Fakes);
        await Workflow(a, "gate_b",
            new { step_id = "ask", step_type = "approval", action = "request", parameters = new { message = "Go on with {{n}}?" } });
        var (busy, busyStep) = await HoldSlotOfFirstAsync("busy_a2");
        string? runId = null;
        try
        {
            // the first process's slot is taken: the run queued there with wait runs on the second and pauses there
            var call = a.Http.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "gate_b", variables = new { n = 5 }, wait = true });
            await ProcessFakes.WaitUntilAsync(async () => (runId = await RunOfAsync("gate_b")) is not null, Limit, () => "the run stored");
            await ProcessFakes.WaitUntilAsync(async () => await ProcessFakes.StatusAsync(b.Http, runId!) == "waiting", Limit, () => "the run waiting for approval");

            // the pause is heard: 202 "waiting" now, as on one process, not at the end of Api:ExecuteWaitSeconds (300 s here)
            using var response = await call.WaitAsync(Limit);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {body}");
            Assert.Equal("waiting", (string?)JsonNode.Parse(body)!["status"]);
        }
        finally
        {
            fakes.Release(busyStep);
            if (runId is not null)
            {
                using var reject = await a.Http.PostAsJsonAsync($"/api/runs/{runId}/reject", new { comment = "done" });
            }
            await ProcessFakes.WaitForFinishAsync(a.Http, [busy], Limit);
        }
    }

    [PostgresFact]
    public async Task A_run_approved_elsewhere_while_its_process_was_not_listening_goes_on_without_waiting_for_the_next_poll()
    {
        var (a, b, fakes) = (processes.A, processes.B, processes.Fakes);
        await Workflow(b, "busy_b", fakes.HttpStep("busy_b", "wait"));
        await Workflow(a, "gate",
            new { step_id = "ask", step_type = "approval", action = "request", parameters = new { message = "Go on with {{n}}?" } },
            fakes.HttpStep("after_gate", "count"));
        var busy = await ProcessFakes.QueueAsync(b.Http, "busy_b", new { n = 1 });
        try
        {
            await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo("/wait/busy_b") == 1, Limit, () => fakes.Summary);
            Assert.Same(b, await AppProcesses.RunnerAsync(processes.Apps, processes.ConnectionString, busy));
            var runId = await ProcessFakes.QueueAsync(a.Http, "gate", new { n = 3 });
            await ProcessFakes.WaitUntilAsync(async () => await ProcessFakes.StatusAsync(a.Http, runId) == "waiting", Limit, () => "the run waiting for approval");

            // approved on the second process while the first does not listen: the wake-up for every worker is not heard
            await WhileNotListeningAsync(RunEventRelay.ListenerName(a.Process.Id), async () =>
            {
                using var approve = await b.Http.PostAsJsonAsync($"/api/runs/{runId}/approve", new { comment = "yes" });
                Assert.True(approve.IsSuccessStatusCode, await approve.Content.ReadAsStringAsync());
            });
            await ProcessFakes.WaitUntilAsync(() => a.ListeningAsync(processes.ConnectionString), Limit, () => "the first process listening again");

            // the second process's slot is taken and the first's next poll is 300 s away: only a wake goes on with it now
            var statuses = await ProcessFakes.WaitForFinishAsync(a.Http, [runId], Limit);
            Assert.Equal("succeeded", statuses[runId]);
            Assert.Equal(1, fakes.Calls("/count/after_gate?n=3"));
        }
        finally
        {
            fakes.Release("busy_b");
            await ProcessFakes.WaitForFinishAsync(b.Http, [busy], Limit);
        }
    }

    [PostgresFact]
    public async Task A_cancel_sent_while_the_executing_process_was_not_listening_aborts_the_step_in_flight_once_it_listens_again()
    {
        var fakes = processes.Fakes;
        await Workflow(processes.A, "endless", fakes.HttpStep("endless", "wait"));
        var runId = await ProcessFakes.QueueAsync(processes.A.Http, "endless", new { n = 4 });
        try
        {
            await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo("/wait/endless") == 1, Limit, () => fakes.Summary);
            var runner = await AppProcesses.RunnerAsync(processes.Apps, processes.ConnectionString, runId);
            var other = processes.Apps.Single(app => app != runner);
            var listener = PostgresNotifications.ListenerName(runner.Process.Id);

            await WhileNotListeningAsync(listener, async () =>
            {
                using var cancel = await other.Http.PostAsync($"/api/runs/{runId}/cancel", null);
                Assert.True(cancel.IsSuccessStatusCode, await cancel.Content.ReadAsStringAsync());
            });
            await ProcessFakes.WaitUntilAsync(() => runner.ListeningAsync(processes.ConnectionString, listener), Limit, () => "the executing process listening for cancels again");

            // the step's call is never answered: only the cancel ends the run
            var statuses = await ProcessFakes.WaitForFinishAsync(other.Http, [runId], Limit);
            Assert.Equal("cancelled", statuses[runId]);
            Assert.Equal(1, fakes.CallsTo("/wait/endless"));
        }
        finally
        {
            fakes.Release("endless");
            await ProcessFakes.WaitForFinishAsync(processes.A.Http, [runId], Limit);
        }
    }

    private static Task Workflow(AppProcesses.App app, string workflowId, params object[] steps) =>
        ProcessFakes.SaveAsync(app.Http, new { workflow_id = workflowId, name = workflowId, steps, variables = new { n = "" } });

    /// <summary>
    /// Takes the first process's one slot with a run held at its step, and returns the run and the step that releases it.
    /// The second process's poll may claim the run between its insert and the first process's own claim: then that
    /// one is let go and another tried, under a new step (a released step stays released).
    /// </summary>
    private async Task<(string RunId, string Step)> HoldSlotOfFirstAsync(string name)
    {
        var (a, fakes) = (processes.A, processes.Fakes);
        for (var attempt = 1; ; attempt++)
        {
            var step = $"{name}_{attempt}";
            await Workflow(a, step, fakes.HttpStep(step, "wait"));
            var run = await ProcessFakes.QueueAsync(a.Http, step, new { n = 1 });
            await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo($"/wait/{step}") == 1, Limit, () => fakes.Summary);
            if (await AppProcesses.RunnerAsync(processes.Apps, processes.ConnectionString, run) == a)
            {
                return (run, step);
            }
            Assert.True(attempt < 5, $"the second process took the first one's held run {attempt} times");
            fakes.Release(step);
            await ProcessFakes.WaitForFinishAsync(a.Http, [run], Limit);
        }
    }

    /// <summary>
    /// Runs <paramref name="meanwhile"/> right after the session <paramref name="listener"/> was terminated (its process
    /// listens again a second later at the earliest), terminating every new one it opens until it is done.
    /// </summary>
    private async Task WhileNotListeningAsync(string listener, Func<Task> meanwhile)
    {
        using var stop = new CancellationTokenSource();
        var firstCut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cutting = AppProcesses.CutSessionsAsync(processes.ConnectionString, listener, firstCut, stop.Token);
        try
        {
            await firstCut.Task.WaitAsync(Limit);
            await meanwhile();
        }
        finally
        {
            await stop.CancelAsync();
            await cutting;
        }
    }

    /// <summary>The id of the workflow's one run; null before it is stored.</summary>
    private async Task<string?> RunOfAsync(string workflowId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(processes.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT id FROM runs WHERE workflow_id = @workflow", connection);
        command.Parameters.AddWithValue("workflow", workflowId);
        return (string?)await command.ExecuteScalarAsync();
    }

    /// <summary>The two processes and their fakes, shared by the tests of the class (they run one after another).</summary>
    public sealed class Processes : IAsyncLifetime
    {
        public ProcessFakes Fakes { get; private set; } = null!;

        private AppProcesses? _processes;

        public IReadOnlyList<AppProcesses.App> Apps => _processes!.Apps;

        /// <summary>One slot, and a poll every 300 s: its worker looks for runs when woken.</summary>
        public AppProcesses.App A => Apps[0];

        /// <summary>One slot, and a poll every second: it takes the runs queued on the first while that one's slot is taken.</summary>
        public AppProcesses.App B => Apps[1];

        public string ConnectionString => _processes!.ConnectionString;

        public async Task InitializeAsync()
        {
            if (TestPostgres.Server is null)
            {
                return;
            }
            Fakes = await ProcessFakes.StartAsync();
            _processes = await AppProcesses.StartAsync(1, new Dictionary<string, string>
            {
                ["Runs__Concurrency"] = "1",
                ["Runs__MaxShare"] = "1",
                ["Runs__PollSeconds"] = "300",
                ["Runs__StepTimeoutSeconds"] = "600", // a held step is never ended by its time limit within a test
                ["Api__ExecuteWaitSeconds"] = "300", // past every test's limit: an answer within it is one the test's code gave
                ["Outbound__Allow"] = "127.0.0.1",
            });
            await _processes.AddAsync(new Dictionary<string, string> { ["Runs__PollSeconds"] = "1" });
            var token = await A.LogInAsync();
            B.UseToken(token);
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
