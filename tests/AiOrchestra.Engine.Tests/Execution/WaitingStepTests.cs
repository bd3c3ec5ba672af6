using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Approval;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Steps.Wait;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Execution;

/// <summary>approval and wait steps: the run pauses at them (nothing after runs), and resumes after them once they are finished.</summary>
public sealed class WaitingStepTests
{
    private readonly ObservedTimeProvider _time = new();
    private readonly RecordingJournal _journal = new();

    [Fact]
    public async Task An_approval_pauses_the_run_with_its_message_and_timeout_and_nothing_after_it_runs()
    {
        var after = new FakeStep("after", _ => "done");
        var request = Run(
            Step("review", "approval", "request", new JsonObject { ["message"] = "Publish {{topic}}?", ["timeout_hours"] = 2 }),
            Step("publish", "after", "run")) with
        {
            Inputs = new Dictionary<string, JsonNode?> { ["topic"] = "the digest" },
        };

        var result = await Executor(after).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.False(result.Success);
        Assert.Empty(result.Errors);
        Assert.Equal(0, after.Calls);
        var waiting = Assert.IsType<StepRecord>(result.Waiting);
        Assert.Equal(("review", StepStatus.Waiting), (waiting.StepId, waiting.Status));
        Assert.Equal(new StepWait(WaitKind.Approval, _time.GetUtcNow().AddHours(2), "Publish the digest?"), waiting.Wait);
        Assert.Contains("finished review Waiting", _journal.Events);
    }

    [Fact]
    public async Task A_resumed_run_takes_the_answered_approval_as_finished_and_goes_on_after_it()
    {
        var after = new FakeStep("after", call => $"published after {call.Context.Values["review_output"]!["by"]}");
        var approved = new StepRecord
        {
            StepId = "review", Index = 0, Status = StepStatus.Succeeded, Attempts = 1,
            Output = ApprovalOutput.Create(true, "alice", "fine", _time.GetUtcNow()),
        };
        var request = Run(
            Step("review", "approval", "request", new JsonObject { ["message"] = "Publish?" }),
            Step("publish", "after", "run")) with { FinishedSteps = [approved] };

        var result = await Executor(after).ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.True(result.Success);
        Assert.Null(result.Waiting);
        Assert.Equal("published after alice", result.Outputs["publish"]!.GetValue<string>());
        Assert.True(result.Outputs["review"]!["approved"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_wait_for_pauses_until_now_plus_the_seconds_and_a_wait_until_a_past_time_does_not_wait()
    {
        var request = Run(
            Step("past", "wait", "until", new JsonObject { ["time"] = "2000-01-01T00:00:00Z" }),
            Step("pause", "wait", "for", new JsonObject { ["seconds"] = 90 }),
            Step("after", "template", "render", new JsonObject { ["text"] = "x" }));

        var result = await Executor().ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Equal([StepStatus.Succeeded, StepStatus.Waiting], result.Steps.Select(s => s.Status));
        Assert.Null(result.Steps[0].Output);
        Assert.Equal(new StepWait(WaitKind.Time, _time.GetUtcNow().AddSeconds(90)), result.Waiting!.Wait);
    }

    [Fact]
    public async Task A_wait_until_a_rendered_time_waits_until_that_time()
    {
        var due = _time.GetUtcNow().AddHours(5);
        var request = Run(Step("pause", "wait", "until", new JsonObject { ["time"] = "{{when}}" })) with
        {
            Inputs = new Dictionary<string, JsonNode?> { ["when"] = due.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") },
        };

        var result = await Executor().ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Equal(new StepWait(WaitKind.Time, due.AddTicks(-(due.Ticks % TimeSpan.TicksPerSecond))), result.Waiting!.Wait);
    }

    [Theory]
    [InlineData("for", "seconds", "9999999999", "parameter 'seconds' must be between 0 and 2592000 seconds (30 days, setting Runs__MaxWaitDays), got 9999999999")]
    [InlineData("until", "time", "tomorrow", "parameter 'time' is 'tomorrow', not an ISO 8601 date and time with an offset; write e.g. \"2026-12-01T09:00:00Z\"")]
    [InlineData("until", "time", "2026-12-01T09:00:00", "parameter 'time' is '2026-12-01T09:00:00', not an ISO 8601 date and time with an offset; write e.g. \"2026-12-01T09:00:00Z\"")]
    [InlineData("until", "time", "2999-01-01T00:00:00Z", "parameter 'time' is 2999-01-01T00:00:00Z, more than 30 days from now, the longest a run may wait (setting Runs__MaxWaitDays)")]
    public async Task A_rendered_wait_past_the_limit_or_not_a_time_fails_the_step_with_the_reason(string action, string parameter, string value, string error)
    {
        var request = Run(Step("pause", "wait", action, new JsonObject { [parameter] = "{{value}}" })) with
        {
            Inputs = new Dictionary<string, JsonNode?> { ["value"] = value },
        };

        var result = await Executor().ExecuteAsync(request, _journal, CancellationToken.None);

        Assert.Null(result.Waiting);
        Assert.Equal([$"step 'pause' failed: {error}"], result.Errors);
    }

    [Fact]
    public async Task In_parallel_branches_the_run_pauses_once_the_branches_in_flight_finish_and_starts_nothing_new()
    {
        var gate = new TaskCompletionSource<JsonNode?>();
        var slow = new FakeStep("slow", (_, _) => gate.Task);
        var after = new FakeStep("after", _ => "late");
        var request = Run(
            Step("branch", "slow", "run") with { DependsOn = [] },
            Step("review", "approval", "request", new JsonObject { ["message"] = "ok?" }) with { DependsOn = [] },
            Step("join", "after", "run") with { DependsOn = ["branch", "review"] });

        var running = Executor(slow, after).ExecuteAsync(request, _journal, CancellationToken.None);
        gate.SetResult("branch done");
        var result = await running;

        Assert.Equal("review", result.Waiting!.StepId);
        Assert.Equal("branch done", result.Steps.Single(s => s.StepId == "branch").Output!.GetValue<string>());
        Assert.Equal(0, after.Calls);
    }

    private WorkflowExecutor Executor(params IStepType[] types) =>
        new(new StepCatalog([.. types, new TemplateStep(), new ApprovalStep(), new WaitStep()]), _time, new FixedRandom(1.0));

    private static RunRequest Run(params WorkflowStep[] steps) =>
        new() { RunId = "run-1", OwnerId = "owner-1", Workflow = new Workflow { WorkflowId = "wf", Steps = steps, Variables = new Dictionary<string, JsonNode?>() } };

    private static WorkflowStep Step(string id, string type, string action, JsonObject? parameters = null) => new()
    {
        StepId = id,
        StepType = type,
        Action = action,
        Parameters = parameters ?? [],
    };
}
