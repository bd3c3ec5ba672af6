using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Store;

namespace AiOrchestra.Web.Tests.Runs;

/// <summary>The Runs section's time limits and output caps reach the executor the app runs with.</summary>
public sealed class RunLimitsTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task The_step_time_limits_and_output_caps_come_from_the_runs_settings()
    {
        await using var host = new StoreHost(_database, _steps, new()
        {
            ["Runs:StepTimeoutSeconds"] = "7",
            ["Runs:LlmStepTimeoutSeconds"] = "420",
            ["Runs:MaxRenderedParameterBytes"] = "2048",
            ["Runs:MaxStepOutputBytes"] = "4096",
            ["Runs:MaxRunOutputBytes"] = "8192",
        });

        var limits = host.Get<WorkflowExecutor>().Limits;

        Assert.Equal(TimeSpan.FromSeconds(7), limits.StepTimeout);
        Assert.Equal(TimeSpan.FromSeconds(420), limits.LlmStepTimeout);
        Assert.Equal((2048, 4096, 8192), (limits.MaxRenderedParameterBytes, limits.MaxStepOutputBytes, limits.MaxRunOutputBytes));
    }

    [Fact]
    public async Task A_run_whose_parameter_renders_past_the_limit_fails_naming_the_setting_and_keeps_nothing_big()
    {
        await using var host = new StoreHost(_database, _steps, new() { ["Runs:MaxRenderedParameterBytes"] = "2048" });
        var owner = await host.CreateUserAsync("ada");
        var repeated = string.Concat(Enumerable.Repeat("{{first_output}}", 100));
        await host.SaveAsync(owner, FakeSteps.Workflow("grow",
            FakeSteps.Step("first", "echo", new string('x', 100)), FakeSteps.Step("second", "echo", repeated)));

        var run = await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, "grow"));

        Assert.Equal(RunStatus.Failed, run.Run.Status);
        Assert.Equal(0, _steps.Calls(run.Run.Id, "second"));
        Assert.StartsWith("parameter 'text': the rendered text is larger than 2 KiB", run.Steps[1].Error);
        Assert.Contains("Runs__MaxRenderedParameterBytes", run.Run.Error);
    }

    [Fact]
    public async Task A_step_output_over_the_limit_is_not_stored()
    {
        await using var host = new StoreHost(_database, _steps, new() { ["Runs:MaxStepOutputBytes"] = "1024" });
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("big", FakeSteps.Step("large", "echo", new string('x', 2000))));

        var run = await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, "big"));

        Assert.Equal(RunStatus.Failed, run.Run.Status);
        var step = Assert.Single(run.Steps);
        Assert.Null(step.Output);
        Assert.Contains("the most one step may keep (setting Runs__MaxStepOutputBytes)", step.Error);
    }
}
