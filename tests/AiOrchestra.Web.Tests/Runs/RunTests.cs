using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.Runs;

public sealed class RunTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    private static Dictionary<string, string?> Concurrency(int runs) => new() { ["Runs:Concurrency"] = runs.ToString() };

    [Fact]
    public async Task A_run_is_stored_as_queued_before_any_step_executes()
    {
        await using var host = new StoreHost(_database, _steps, Concurrency(1));
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("wait", FakeSteps.Step("hold", "block", "held")));
        await host.SaveAsync(owner, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        var blocking = await host.EnqueueAsync(owner, "wait");
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the only slot is taken

        var queued = await host.EnqueueAsync(owner, "greet");

        var stored = await host.GetRunAsync(owner, queued);
        Assert.Equal(RunStatus.Queued, stored.Run.Status);
        Assert.Empty(stored.Steps);
        Assert.Equal(0, _steps.Calls(queued, "hello"));

        _steps.Release();
        Assert.Equal(RunStatus.Succeeded, (await host.WaitForRunAsync(owner, blocking)).Run.Status);
        Assert.Equal(RunStatus.Succeeded, (await host.WaitForRunAsync(owner, queued)).Run.Status);
        Assert.Equal(1, _steps.Calls(queued, "hello"));
    }

    [Fact]
    public async Task Each_step_is_stored_with_its_status_output_attempts_and_duration_and_outputs_feed_later_steps()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        var workflow = FakeSteps.Workflow("chain", FakeSteps.Step("first", "echo", "{{name}}"), FakeSteps.Step("second", "echo", "hello {{first_output}}"))
            with { Variables = new Dictionary<string, JsonNode?> { ["name"] = "world" } };
        await host.SaveAsync(owner, workflow);

        var runId = await host.EnqueueAsync(owner, "chain", new() { ["name"] = "Ada" });
        var run = await host.WaitForRunAsync(owner, runId);

        Assert.Equal(RunStatus.Succeeded, run.Run.Status);
        Assert.NotNull(run.Run.StartedAt);
        Assert.NotNull(run.Run.FinishedAt);
        Assert.Null(run.Run.LeaseOwner);
        Assert.Equal(["first", "second"], run.Steps.Select(s => s.StepId));
        Assert.All(run.Steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.All(run.Steps, s => Assert.Equal(1, s.Attempts));
        Assert.All(run.Steps, s => Assert.True(s.DurationMs >= 0 && s.FinishedAt >= s.StartedAt));
        Assert.Equal("\"hello Ada\"", run.Steps[1].Output);
    }

    [Fact]
    public async Task A_failing_run_is_recorded_with_its_error_and_the_worker_goes_on()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("bad", FakeSteps.Step("boom", "fail", "the server said no"), FakeSteps.Step("after", "echo", "x")));
        await host.SaveAsync(owner, FakeSteps.Workflow("good", FakeSteps.Step("hello", "echo", "hi")));

        var bad = await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, "bad"));
        var good = await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, "good"));

        Assert.Equal(RunStatus.Failed, bad.Run.Status);
        Assert.Contains("the server said no", bad.Run.Error);
        Assert.Equal(StepStatus.Failed, bad.Steps.Single().Status);
        Assert.Equal("the server said no", bad.Steps.Single().Error);
        Assert.Equal(0, _steps.Calls(bad.Run.Id, "after"));
        Assert.Equal(RunStatus.Succeeded, good.Run.Status);
    }

    [Fact]
    public async Task Inputs_from_a_form_that_are_not_variables_of_the_workflow_are_refused_and_nothing_is_stored()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "{{name}}"))
            with { Variables = new Dictionary<string, JsonNode?> { ["name"] = "world" } });

        var result = await host.Get<RunQueue>().EnqueueAsync(owner, "greet", new Dictionary<string, JsonNode?> { ["nmae"] = "Ada" }, RunOrigin.Manual, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal("variables.nmae", result.Errors.Single().Path);
        Assert.Contains("name", result.Errors.Single().Message);
        Assert.Equal(0, await host.WithDbAsync(db => db.Runs.CountAsync()));
    }

    [Fact]
    public async Task No_more_runs_execute_at_once_than_the_configured_concurrency()
    {
        await using var host = new StoreHost(_database, _steps, Concurrency(2));
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("wait", FakeSteps.Step("hold", "block", "held")));
        var runs = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            runs.Add(await host.EnqueueAsync(owner, "wait"));
        }

        // release the runs two by two until all have finished
        while (await host.WithDbAsync(db => db.Runs.CountAsync(r => r.Status == RunStatus.Succeeded)) < runs.Count)
        {
            await Task.Delay(20);
            Assert.True(await host.WithDbAsync(db => db.Runs.CountAsync(r => r.Status == RunStatus.Running)) <= 2);
            _steps.Release();
        }

        Assert.True(_steps.MaxRunning <= 2, $"{_steps.MaxRunning} runs executed at once");
        Assert.Equal(6, runs.Count(id => _steps.Calls(id, "hold") == 1));
    }

    [Fact]
    public async Task A_run_log_exports_in_the_seed_format()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        var runId = await host.EnqueueAsync(owner, "greet");
        await host.WaitForRunAsync(owner, runId);

        var export = await host.InScope<RunStore, JsonObject?>(s => s.ExportAsync(owner, runId, CancellationToken.None));
        var log = JsonNode.Parse(export!.ToJsonString())!; // as a client reads it

        Assert.Equal("greet", log["workflow_id"]!.GetValue<string>());
        Assert.Equal(runId, log["execution_id"]!.GetValue<string>());
        // the original AI-Orchestra's word, and ours beside it
        Assert.Equal("success", log["status"]!.GetValue<string>());
        Assert.Equal("succeeded", log["run_status"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(log["timestamp"]!.GetValue<string>(), out _));
        var step = log["steps"]!.AsArray().Single()!.AsObject();
        Assert.Equal("hello", step["step_id"]!.GetValue<string>());
        Assert.Equal("success", step["status"]!.GetValue<string>());
        Assert.Equal("succeeded", step["step_status"]!.GetValue<string>());
        Assert.Equal("hi", step["output"]!.GetValue<string>());
        Assert.True(step["duration_ms"]!.GetValue<long>() >= 0);
    }

    [Fact]
    public async Task The_logs_list_is_newest_first_and_filters_by_status_and_workflow()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("good", FakeSteps.Step("s", "echo", "x")));
        await host.SaveAsync(owner, FakeSteps.Workflow("bad", FakeSteps.Step("s", "fail", "x")));
        var ids = new List<string>();
        foreach (var workflow in new[] { "good", "bad", "good" })
        {
            ids.Add(await host.EnqueueAsync(owner, workflow));
            await host.WaitForRunAsync(owner, ids[^1]);
        }

        var all = await host.InScope<RunStore, RunPage>(s => s.ListAsync(owner, new RunFilter { Take = 2 }, CancellationToken.None));
        var failed = await host.InScope<RunStore, RunPage>(s => s.ListAsync(owner, new RunFilter { Status = RunStatus.Failed }, CancellationToken.None));
        var good = await host.InScope<RunStore, RunPage>(s => s.ListAsync(owner, new RunFilter { WorkflowId = "good" }, CancellationToken.None));

        Assert.Equal([ids[2], ids[1]], all.Runs.Select(r => r.Id));
        Assert.True(all.HasMore);
        Assert.Equal([ids[1]], failed.Runs.Select(r => r.Id));
        Assert.Equal([ids[2], ids[0]], good.Runs.Select(r => r.Id));
    }
}
