using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Http;
using AiOrchestra.Engine.Tests.Steps;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Engine.Tests.Execution;

/// <summary>Every step has a time limit, its own or a default, and a server that stalls the body cannot hang a run.</summary>
public sealed class StepTimeLimitTests
{
    private readonly ObservedTimeProvider _time = new();
    private readonly RecordingJournal _journal = new();

    [Fact]
    public async Task A_step_without_timeout_seconds_gets_the_default_limit()
    {
        var step = new FakeStep("slow", (_, token) => FakeStep.Hang(token));

        var running = Executor(ExecutionLimits.Default, step).ExecuteAsync(Run(Step("a", "slow")), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        _time.Advance(TimeSpan.FromSeconds(60));
        var result = await running;

        Assert.Equal(StepStatus.Failed, result.Steps[0].Status);
        Assert.Equal(
            ["step 'a' failed: timed out after 60 s, the default time limit of a step (set timeout_seconds on the step, or Runs__StepTimeoutSeconds)"],
            result.Errors);
    }

    [Fact]
    public async Task A_language_model_step_gets_the_longer_default_and_the_configured_one_is_used()
    {
        var limits = new ExecutionLimits { StepTimeout = TimeSpan.FromSeconds(7), LlmStepTimeout = TimeSpan.FromSeconds(90) };
        var llm = new FakeStep("llm", (_, token) => FakeStep.Hang(token)) { UsesLanguageModel = true };

        var running = Executor(limits, llm).ExecuteAsync(Run(Step("ask", "llm")), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(90));
        _time.Advance(TimeSpan.FromSeconds(89));
        Assert.False(running.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        var result = await running;

        Assert.Equal(
            ["step 'ask' failed: timed out after 90 s, the default time limit of a language-model step (set timeout_seconds on the step, or Runs__LlmStepTimeoutSeconds)"],
            result.Errors);
    }

    [Fact]
    public async Task A_steps_own_timeout_seconds_wins_over_the_default()
    {
        var step = new FakeStep("slow", (_, token) => FakeStep.Hang(token));

        var running = Executor(ExecutionLimits.Default, step).ExecuteAsync(Run(Step("a", "slow", timeout: 600)), _journal, CancellationToken.None);
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(600));
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.False(running.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(540));

        Assert.Equal(["step 'a' failed: timed out after 600 s"], (await running).Errors);
    }

    [Fact]
    public async Task An_http_step_whose_server_stalls_the_body_ends_at_the_default_limit()
    {
        await using var server = new StalledServer();
        using var client = new HttpClient(); // its own Timeout (100 s) stops at the headers
        var executor = new WorkflowExecutor(new StepCatalog([new HttpStep(client, _time)]), _time, new FixedRandom(1.0));
        var step = new WorkflowStep
        {
            StepId = "call", StepType = "http", Action = "request", Parameters = new JsonObject { ["url"] = server.Url },
        };

        var running = executor.ExecuteAsync(Run(step), _journal, CancellationToken.None);
        await server.HeadersSent;
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        _time.Advance(TimeSpan.FromSeconds(60));
        var result = await running;

        Assert.Equal(StepStatus.Failed, result.Steps[0].Status);
        Assert.StartsWith("step 'call' failed: timed out after 60 s, the default time limit of a step", result.Errors[0]);
    }

    [Fact]
    public async Task The_http_clients_timeout_covers_the_body_read_too()
    {
        await using var server = new StalledServer();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var call = TemplateAndPromptStepTests.Call("request", new JsonObject { ["url"] = server.Url });

        var running = new HttpStep(client, _time).ExecuteAsync(call, CancellationToken.None);
        await server.HeadersSent;
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(5));
        var error = await Assert.ThrowsAsync<StepFailedException>(() => running);

        Assert.True(error.Transient);
        Assert.Equal($"GET {server.Url}: no complete response within 5 s", error.Message);
    }

    private WorkflowExecutor Executor(ExecutionLimits limits, params IStepType[] types) =>
        new(new StepCatalog(types), _time, new FixedRandom(1.0), limits);

    private static RunRequest Run(params WorkflowStep[] steps) =>
        new() { RunId = "run-1", OwnerId = "owner-1", Workflow = new Workflow { WorkflowId = "wf", Steps = steps } };

    private static WorkflowStep Step(string id, string type, int? timeout = null) =>
        new() { StepId = id, StepType = type, Action = "run", TimeoutSeconds = timeout };
}
