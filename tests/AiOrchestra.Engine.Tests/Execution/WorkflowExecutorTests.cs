using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Execution;

public sealed class WorkflowExecutorTests
{
    private readonly ObservedTimeProvider _time = new();
    private readonly RecordingJournal _journal = new();

    [Fact]
    public async Task Each_output_is_bound_for_later_steps_as_step_output_and_as_step_id()
    {
        var request = Run(
            Step("greet", "template", new JsonObject { ["text"] = "Hello {{name}}" }),
            Step("shout", "template", new JsonObject { ["text"] = "{{greet_output}}!" }),
            Step("both", "template", new JsonObject { ["text"] = "{{greet}} / {{shout_output}}" }));
        request = request with
        {
            Workflow = request.Workflow with { Variables = new Dictionary<string, JsonNode?> { ["name"] = "Bob" } },
            Inputs = new Dictionary<string, JsonNode?> { ["name"] = "Ada" },
        };

        var result = await Executor().ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Empty(result.Errors);
        Assert.Equal("Hello Ada", result.Outputs["greet"]!.GetValue<string>());
        Assert.Equal("Hello Ada!", result.Outputs["shout"]!.GetValue<string>());
        Assert.Equal("Hello Ada / Hello Ada!", result.Outputs["both"]!.GetValue<string>());
        Assert.Equal(["greet", "shout", "both"], result.Steps.Select(s => s.StepId));
        Assert.All(result.Steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
    }

    [Fact]
    public async Task A_whole_text_reference_passes_a_structured_output_with_its_type()
    {
        JsonNode? received = null;
        var producer = new FakeStep("producer", _ => new JsonArray { new JsonObject { ["subject"] = "Hi" } });
        var consumer = new FakeStep("consumer", call => { received = call.Parameters["items"]?.DeepClone(); return "done"; });

        var result = await Executor(producer, consumer).ExecuteAsync(
            Run(Step("fetch", "producer"), Step("use", "consumer", new JsonObject { ["items"] = "{{fetch_output}}", ["first"] = "{{fetch[0].subject}}" })),
            _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.IsType<JsonArray>(received);
        Assert.Equal("Hi", received![0]!["subject"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_transient_failure_is_retried_only_after_the_exponential_backoff()
    {
        var step = new FakeStep("flaky", call => call.Context.Attempt < 3
            ? throw new StepFailedException("server busy", transient: true)
            : "finally");
        var retry = new RetrySettings { MaxAttempts = 3, InitialDelayMs = 100, MaxDelayMs = 10_000 };

        var running = Executor(step).ExecuteAsync(Run(Step("a", "flaky", retry: retry)), _journal, CancellationToken.None);

        await _time.WaitForTimerAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, step.Calls);
        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(1, step.Calls);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        await _time.WaitForTimerAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(2, step.Calls);
        _time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.Equal(2, step.Calls);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var result = await running;
        Assert.True(result.Success);
        Assert.Equal(3, step.Calls);
        Assert.Equal(3, result.Steps[0].Attempts);
        Assert.Equal("finally", result.Outputs["a"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_transient_failure_that_keeps_failing_stops_at_max_attempts_with_the_last_error()
    {
        var step = new FakeStep("down", call => throw new StepFailedException($"503 on attempt {call.Context.Attempt}", transient: true));
        var retry = new RetrySettings { MaxAttempts = 2, InitialDelayMs = 50, MaxDelayMs = 50 };

        var running = Executor(step).ExecuteAsync(Run(Step("a", "down", retry: retry)), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromMilliseconds(50));
        _time.Advance(TimeSpan.FromMilliseconds(50));
        var result = await running;

        Assert.False(result.Success);
        Assert.Equal(2, step.Calls);
        Assert.Equal(StepStatus.Failed, result.Steps[0].Status);
        Assert.Equal(2, result.Steps[0].Attempts);
        Assert.Equal(["step 'a' failed: 503 on attempt 2 (after 2 attempts)"], result.Errors);
    }

    [Fact]
    public async Task Attempts_count_every_http_request_of_every_attempt()
    {
        // attempt 1: the HTTP pipeline tried twice and gave up; attempt 2: a 429 then a success
        var step = new FakeStep("remote", call =>
        {
            call.Context.HttpAttempts = 2;
            return call.Context.Attempt == 1 ? throw new StepFailedException("503 Service Unavailable", transient: true) : "ok";
        });
        var offline = new FakeStep("offline", _ => "done");
        var retry = new RetrySettings { MaxAttempts = 2, InitialDelayMs = 50, MaxDelayMs = 50 };

        var running = Executor(step, offline).ExecuteAsync(Run(Step("a", "remote", retry: retry), Step("b", "offline")), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromMilliseconds(50));
        _time.Advance(TimeSpan.FromMilliseconds(50));
        var result = await running;

        Assert.True(result.Success);
        Assert.Equal(2, step.Calls);
        Assert.Equal(4, result.Steps[0].Attempts);
        Assert.Equal(1, result.Steps[1].Attempts);
        Assert.Equal(4, _journal.Finished[0].Attempts);
    }

    [Fact]
    public async Task A_servers_retry_after_wins_over_a_shorter_backoff()
    {
        var step = new FakeStep("limited", call => call.Context.Attempt == 1
            ? throw new StepFailedException("429 Too Many Requests", transient: true, retryAfter: TimeSpan.FromSeconds(5))
            : "ok");
        var retry = new RetrySettings { MaxAttempts = 2, InitialDelayMs = 100, MaxDelayMs = 1000 };

        var running = Executor(step).ExecuteAsync(Run(Step("a", "limited", retry: retry)), _journal, CancellationToken.None);

        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.Equal(1, step.Calls);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var result = await running;
        Assert.True(result.Success);
        Assert.Equal(2, step.Calls);
        Assert.DoesNotContain(TimeSpan.FromMilliseconds(100), _time.Timers);
    }

    [Fact]
    public async Task A_non_transient_failure_is_not_retried()
    {
        var step = new FakeStep("strict", _ => throw new StepFailedException("parameter 'repo' must be owner/name"));
        var retry = new RetrySettings { MaxAttempts = 5 };

        var result = await Executor(step).ExecuteAsync(Run(Step("a", "strict", retry: retry)), _journal, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(1, step.Calls);
        Assert.Equal(1, result.Steps[0].Attempts);
        Assert.Equal(["step 'a' failed: parameter 'repo' must be owner/name"], result.Errors);
    }

    [Fact]
    public async Task Without_retry_settings_a_transient_failure_is_tried_once()
    {
        var step = new FakeStep("flaky", _ => throw new HttpRequestException("Connection refused"));

        var result = await Executor(step).ExecuteAsync(Run(Step("a", "flaky")), _journal, CancellationToken.None);

        Assert.Equal(1, step.Calls);
        Assert.Equal(["step 'a' failed: Connection refused"], result.Errors);
    }

    [Fact]
    public async Task A_network_error_from_a_step_is_transient_and_retried()
    {
        var step = new FakeStep("net", call => call.Context.Attempt == 1 ? throw new HttpRequestException("Connection reset") : "ok");
        var retry = new RetrySettings { MaxAttempts = 2, InitialDelayMs = 10, MaxDelayMs = 10 };

        var running = Executor(step).ExecuteAsync(Run(Step("a", "net", retry: retry)), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromMilliseconds(10));

        Assert.True((await running).Success);
        Assert.Equal(2, step.Calls);
    }

    [Fact]
    public async Task An_attempt_longer_than_timeout_seconds_fails_as_timed_out()
    {
        var step = new FakeStep("slow", (_, token) => FakeStep.Hang(token));

        var running = Executor(step).ExecuteAsync(Run(Step("a", "slow", timeout: 5)), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(5));
        var result = await running;

        Assert.False(result.Success);
        Assert.False(result.Cancelled);
        Assert.Equal(StepStatus.Failed, result.Steps[0].Status);
        Assert.Equal(["step 'a' failed: timed out after 5 s"], result.Errors);
    }

    [Fact]
    public async Task A_step_that_ignores_its_token_still_times_out()
    {
        var never = new TaskCompletionSource<JsonNode?>();
        var step = new FakeStep("deaf", (_, _) => never.Task);

        var running = Executor(step).ExecuteAsync(Run(Step("a", "deaf", timeout: 2)), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(2));
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(["step 'a' failed: timed out after 2 s"], (await running).Errors);
    }

    [Fact]
    public async Task A_timed_out_attempt_is_transient_and_retried()
    {
        var step = new FakeStep("slow_once", (call, token) => call.Context.Attempt == 1 ? FakeStep.Hang(token) : Task.FromResult<JsonNode?>("fast"));
        var retry = new RetrySettings { MaxAttempts = 2, InitialDelayMs = 20, MaxDelayMs = 20 };

        var running = Executor(step).ExecuteAsync(Run(Step("a", "slow_once", retry: retry, timeout: 3)), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(3));
        _time.Advance(TimeSpan.FromSeconds(3));
        await _time.WaitForTimerAsync(TimeSpan.FromMilliseconds(20));
        _time.Advance(TimeSpan.FromMilliseconds(20));
        var result = await running;

        Assert.True(result.Success);
        Assert.Equal(2, result.Steps[0].Attempts);
    }

    [Fact]
    public async Task Cancelling_during_a_step_aborts_it_and_ends_the_run_as_cancelled()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new FakeStep("slow", (_, token) => { started.SetResult(); return FakeStep.Hang(token); });
        var after = new FakeStep("after", _ => "never");
        using var cancel = new CancellationTokenSource();

        var running = Executor(slow, after).ExecuteAsync(Run(Step("a", "slow"), Step("b", "after")), _journal, cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cancel.CancelAsync();
        var result = await running;

        Assert.True(result.Cancelled);
        Assert.False(result.Success);
        Assert.Equal(StepStatus.Cancelled, Assert.Single(result.Steps).Status);
        Assert.Equal(0, after.Calls);
        Assert.Equal(StepStatus.Cancelled, Assert.Single(_journal.Finished).Status);
    }

    [Fact]
    public async Task Cancelling_between_steps_runs_no_further_step()
    {
        using var cancel = new CancellationTokenSource();
        var first = new FakeStep("first", _ => { cancel.Cancel(); return "done"; });
        var second = new FakeStep("second", _ => "never");

        var result = await Executor(first, second).ExecuteAsync(Run(Step("a", "first"), Step("b", "second")), _journal, cancel.Token);

        Assert.True(result.Cancelled);
        Assert.False(result.Success);
        Assert.Equal(0, second.Calls);
        Assert.Equal(StepStatus.Succeeded, Assert.Single(result.Steps).Status);
        Assert.Equal(["the run was cancelled before step 'b'"], result.Errors);
    }

    [Fact]
    public async Task Cancelling_while_waiting_to_retry_ends_the_run_without_another_attempt()
    {
        var step = new FakeStep("flaky", _ => throw new StepFailedException("busy", transient: true));
        using var cancel = new CancellationTokenSource();
        var retry = new RetrySettings { MaxAttempts = 3, InitialDelayMs = 1000, MaxDelayMs = 1000 };

        var running = Executor(step).ExecuteAsync(Run(Step("a", "flaky", retry: retry)), _journal, cancel.Token);
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(1));
        await cancel.CancelAsync();
        var result = await running;

        Assert.True(result.Cancelled);
        Assert.Equal(1, step.Calls);
        Assert.Equal(StepStatus.Cancelled, result.Steps[0].Status);
    }

    [Fact]
    public async Task On_error_continue_records_the_failure_and_runs_the_next_steps()
    {
        var broken = new FakeStep("broken", _ => throw new StepFailedException("boom"));
        var fine = new FakeStep("fine", _ => "fine");

        var result = await Executor(broken, fine).ExecuteAsync(
            Run(Step("a", "broken", onError: OnError.Continue),
                Step("b", "fine"),
                Step("c", "template", new JsonObject { ["text"] = "uses {{a_output}}" }, onError: OnError.Continue)),
            _journal, CancellationToken.None);

        Assert.Equal(1, fine.Calls);
        Assert.Equal([StepStatus.Failed, StepStatus.Succeeded, StepStatus.Failed], result.Steps.Select(s => s.Status));
        Assert.Equal(["b"], result.Outputs.Keys);
        Assert.Equal(
            ["step 'a' failed: boom", "step 'c' failed: parameter 'text': step 'a' failed earlier, so '{{a_output}}' has no value"],
            result.Errors);
        Assert.True(result.Success);
    }

    [Fact]
    public async Task On_error_abort_stops_the_run_and_fails_it()
    {
        var broken = new FakeStep("broken", _ => throw new StepFailedException("boom"));
        var after = new FakeStep("after", _ => "never");

        var result = await Executor(broken, after).ExecuteAsync(Run(Step("a", "broken"), Step("b", "after")), _journal, CancellationToken.None);

        Assert.False(result.Success);
        Assert.False(result.Cancelled);
        Assert.Equal(0, after.Calls);
        Assert.Equal(["step 'a' failed: boom"], result.Errors);
        Assert.Single(result.Steps);
    }

    [Fact]
    public async Task Resuming_does_not_call_finished_steps_again_and_reuses_their_outputs()
    {
        var first = new FakeStep("first", _ => "fresh");
        var second = new FakeStep("second", call => call.Parameters["input"]!.GetValue<string>() + "+b");
        var finished = new StepRecord { StepId = "a", Index = 0, Status = StepStatus.Succeeded, Output = "recorded", Attempts = 1 };

        var request = Run(Step("a", "first"), Step("b", "second", new JsonObject { ["input"] = "{{a_output}}" })) with { FinishedSteps = [finished] };
        var result = await Executor(first, second).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Equal(0, first.Calls);
        Assert.Equal(1, second.Calls);
        Assert.Equal("recorded+b", result.Outputs["b"]!.GetValue<string>());
        Assert.Equal("recorded", result.Outputs["a"]!.GetValue<string>());
        Assert.Equal(["a", "b"], result.Steps.Select(s => s.StepId));
        Assert.DoesNotContain(_journal.Events, e => e.Contains(" a "));
    }

    [Fact]
    public async Task The_journal_hears_every_start_retry_delta_and_finish_in_order()
    {
        var flaky = new FakeStep("flaky", call => call.Context.Attempt == 1 ? throw new StepFailedException("busy", transient: true) : "ok");
        var chatty = new FakeStep("chatty", call => { call.Context.ReportDelta("Hel"); call.Context.ReportDelta("lo"); return "Hello"; });
        var retry = new RetrySettings { MaxAttempts = 2, InitialDelayMs = 10, MaxDelayMs = 10 };

        var running = Executor(flaky, chatty).ExecuteAsync(Run(Step("a", "flaky", retry: retry), Step("b", "chatty")), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromMilliseconds(10));
        await running;

        Assert.Equal(
            [
                "started a #0 attempt 1",
                "started a #0 attempt 2",
                "finished a Succeeded",
                "started b #1 attempt 1",
                "delta b Hel",
                "delta b lo",
                "finished b Succeeded",
            ],
            _journal.Events);
    }

    [Fact]
    public async Task Duration_start_and_finish_times_and_token_usage_are_recorded()
    {
        var step = new FakeStep("llm", call =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(1500));
            call.Context.Usage = new TokenUsage(12, 30);
            return "answer";
        });

        var result = await Executor(step).ExecuteAsync(Run(Step("a", "llm")), _journal, CancellationToken.None);

        var record = result.Steps[0];
        Assert.Equal(1500, record.DurationMs);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), record.FinishedAt - record.StartedAt);
        Assert.Equal(new TokenUsage(12, 30), record.Usage);
        Assert.Equal(record, _journal.Finished[0]);
    }

    [Fact]
    public async Task An_unexpected_exception_is_a_failure_with_its_message_not_a_crash()
    {
        var step = new FakeStep("buggy", _ => throw new InvalidOperationException("disk full"));

        var result = await Executor(step).ExecuteAsync(Run(Step("a", "buggy")), _journal, CancellationToken.None);

        Assert.Equal(["step 'a' failed: disk full"], result.Errors);
        Assert.DoesNotContain(" at ", result.Steps[0].Error);
    }

    [Fact]
    public async Task An_unknown_step_type_or_action_fails_with_a_clear_message()
    {
        var known = new FakeStep("known", _ => "ok");
        var request = Run(
            Step("a", "missing", onError: OnError.Continue),
            Step("b", "known", onError: OnError.Continue) with { Action = "explode" });

        var result = await Executor(known).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Equal(
            [
                "step 'a' failed: step type 'missing' is not installed (installed: known, template)",
                "step 'b' failed: step type 'known' has no action 'explode' (it has: run)",
            ],
            result.Errors);
    }

    [Fact]
    public async Task A_render_error_names_the_parameter_and_is_not_retried()
    {
        var step = new FakeStep("any", _ => "ok");
        var retry = new RetrySettings { MaxAttempts = 3 };

        var result = await Executor(step).ExecuteAsync(
            Run(Step("a", "any", new JsonObject { ["prompt"] = "about {{topik}}" }, retry: retry)), _journal, CancellationToken.None);

        Assert.Equal(0, step.Calls);
        Assert.Equal(["step 'a' failed: parameter 'prompt': unknown variable 'topik'"], result.Errors);
    }

    private WorkflowExecutor Executor(params IStepType[] types) =>
        new(new StepCatalog([.. types, new TemplateStep()]), _time, new FixedRandom(1.0));

    private static RunRequest Run(params WorkflowStep[] steps) =>
        new() { RunId = "run-1", OwnerId = "owner-1", Workflow = new Workflow { WorkflowId = "wf", Steps = steps } };

    private static WorkflowStep Step(
        string id, string type, JsonObject? parameters = null, RetrySettings? retry = null, int? timeout = null, OnError onError = OnError.Abort) =>
        new()
        {
            StepId = id,
            StepType = type,
            Action = type == "template" ? "render" : "run",
            Parameters = parameters ?? [],
            Retry = retry,
            TimeoutSeconds = timeout,
            OnError = onError,
        };
}
