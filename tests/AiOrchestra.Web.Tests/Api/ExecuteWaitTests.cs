using System.Net;
using System.Net.Http.Json;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Tests.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>The app with a fake clock and the blocking <c>fake</c> step type, waiting at most 30 seconds of that clock on execute.</summary>
public sealed class SlowRunFactory : ApiFactory
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
    private const string Workflow = """
        {"workflow_id": "slow", "steps": [{"step_id": "hold", "step_type": "fake", "action": "block", "parameters": {"text": "done"}}]}
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
