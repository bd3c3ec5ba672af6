using System.Net;
using System.Net.Http.Json;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>The app with a fake clock and the blocking <c>fake</c> step type, waiting at most 30 seconds of that clock on execute.</summary>
public class SlowRunFactory : ApiFactory
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public FakeSteps Steps { get; } = new();

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Api:ExecuteWaitSeconds"] = "30" };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IStepType>(Steps));
        });
    }
}

public class ExecuteWaitTests(SlowRunFactory app) : IClassFixture<SlowRunFactory>
{
    // the step's own hour-long limit: the test moves the app's clock 31 s at a time until the wait answers, and on a
    // loaded machine the request may start waiting late, when a step's default 60 s limit would already have failed the run
    private const string Workflow = """
        {"workflow_id": "slow", "steps": [{"step_id": "hold", "step_type": "fake", "action": "block", "timeout_seconds": 3600, "parameters": {"text": "done"}}]}
        """;

    [Fact]
    public async Task A_run_slower_than_the_wait_answers_202_with_its_location_and_running_status()
    {
        using var client = await app.AdminAsync();
        // shorter than the wait in real time: the answer can only come from the app's clock moving on
        client.Timeout = TimeSpan.FromSeconds(20);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(Workflow))).StatusCode);
        var entered = app.Steps.ResetEntered();

        var executing = client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "slow" });
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // the bounded wait runs on the app's clock: move it past the wait until the answer comes
        while (!executing.IsCompleted)
        {
            app.Time.Advance(TimeSpan.FromSeconds(31));
            await Task.WhenAny(executing, Task.Delay(50));
        }
        var response = await executing;

        try
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var body = await response.JsonAsync();
            var runId = body["run_id"]!.GetValue<string>();
            Assert.Equal($"/api/runs/{runId}", response.Headers.Location?.OriginalString);
            Assert.Equal($"/api/runs/{runId}", body["location"]!.GetValue<string>());
            Assert.Equal("running", body["status"]!.GetValue<string>());
        }
        finally
        {
            app.Steps.Release();
        }
    }
}

/// <summary>As <see cref="SlowRunFactory"/>, executing one run at a time: a second run stays queued behind a blocked one.</summary>
public sealed class OneRunAtATimeFactory : SlowRunFactory
{
    protected override IReadOnlyDictionary<string, string> Settings =>
        new Dictionary<string, string>(base.Settings) { ["Runs:Concurrency"] = "1" };
}

/// <summary>What a waiting execute leaves behind when its run is queued behind another, cancelled, or quick.</summary>
public class ExecuteWaitQueuedTests(OneRunAtATimeFactory app) : IClassFixture<OneRunAtATimeFactory>
{
    private RunEvents Events => app.Services.GetRequiredService<RunEvents>();

    [Fact]
    public async Task A_waiting_execute_whose_queued_run_is_cancelled_answers_at_once_with_the_cancelled_run()
    {
        using var client = await app.AdminAsync();
        // shorter than the wait, and the app's clock never moves: the answer can only come from the cancel
        client.Timeout = TimeSpan.FromSeconds(20);
        await BlockTheOnlyRunnerAsync(client, "slow_cancel");

        try
        {
            var executing = client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "slow_cancel" });
            var queued = await FindQueuedRunAsync(client);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/runs/{queued}/cancel", null)).StatusCode);

            using var response = await executing;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.JsonAsync();
            Assert.Equal(queued, body["run_id"]!.GetValue<string>());
            Assert.Equal("failed", body["status"]!.GetValue<string>());
            Assert.Equal("cancelled", body["run_status"]!.GetValue<string>());
            Assert.False(body["success"]!.GetValue<bool>());
            Assert.Empty(body["steps"]!.AsArray());
        }
        finally
        {
            app.Steps.Release();
        }
    }

    [Fact]
    public async Task A_waiting_execute_that_gives_up_before_its_run_starts_holds_nothing_in_memory_for_it()
    {
        using var client = await app.AdminAsync();
        client.Timeout = TimeSpan.FromSeconds(20);
        await WaitUntilNothingIsHeldAsync();
        await BlockTheOnlyRunnerAsync(client, "slow_queued");

        try
        {
            var executing = client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "slow_queued" });
            await FindQueuedRunAsync(client);
            while (!executing.IsCompleted)
            {
                app.Time.Advance(TimeSpan.FromSeconds(31));
                await Task.WhenAny(executing, Task.Delay(50));
            }
            using var response = await executing;
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal("queued", (await response.JsonAsync())["status"]!.GetValue<string>());
            // the blocked run's events only: the queued one has none until it starts
            Assert.Equal(1, Events.HeldRunCount);
        }
        finally
        {
            app.Steps.Release();
        }
    }

    [Fact]
    public async Task A_waiting_execute_keeps_none_of_its_runs_events_once_it_answered()
    {
        using var client = await app.AdminAsync();
        await WaitUntilNothingIsHeldAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(
            """{"workflow_id": "quick", "steps": [{"step_id": "say", "step_type": "fake", "action": "echo", "parameters": {"text": "hi"}}]}"""))).StatusCode);

        using var response = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "quick" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hi", (await response.JsonAsync())["outputs"]!["say"]!.GetValue<string>());
        // nobody can reconnect to a wait: its events are not kept for the retention time (which never passes here)
        await WaitUntilNothingIsHeldAsync();
    }

    /// <summary>Stores a one-step blocking workflow and starts it, so the next run of it waits in the queue.</summary>
    private async Task BlockTheOnlyRunnerAsync(HttpClient client, string workflowId)
    {
        var workflow = $$$"""
            {"workflow_id": "{{{workflowId}}}", "steps": [{"step_id": "hold", "step_type": "fake", "action": "block", "parameters": {"text": "done"}}]}
            """;
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/workflows", ApiFactory.Json(workflow))).StatusCode);
        var entered = app.Steps.ResetEntered();
        using var first = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = workflowId, wait = false });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<string> FindQueuedRunAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var list = await (await client.GetAsync("/api/runs?status=queued")).JsonAsync();
            if (list["runs"]!.AsArray().FirstOrDefault()?["run_id"]?.GetValue<string>() is { } queued)
            {
                return queued;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException("No run was queued within 20 seconds.");
    }

    /// <summary>Runs of an earlier test may still be finishing after their release.</summary>
    private async Task WaitUntilNothingIsHeldAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Events.HeldRunCount > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Equal(0, Events.HeldRunCount);
    }
}
