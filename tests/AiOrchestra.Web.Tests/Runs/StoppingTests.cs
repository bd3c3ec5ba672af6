using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;
using Microsoft.Extensions.Hosting;

namespace AiOrchestra.Web.Tests.Runs;

public sealed class StoppingTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task When_the_app_stops_live_event_streams_and_waiting_executes_end_at_once_instead_of_holding_the_shutdown()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("slow", FakeSteps.Step("hold", "block", "done")));
        var runId = await host.EnqueueAsync(owner, "slow");
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var (queued, watch) = await host.Get<RunQueue>().EnqueueAndWatchAsync(owner, "slow", new Dictionary<string, System.Text.Json.Nodes.JsonNode?>(), AiOrchestra.Web.Data.RunOrigin.Api, CancellationToken.None);
        Assert.True(queued.Succeeded);
        using var watching = watch!;

        try
        {
            // what an SSE request and a waiting execute do, with request tokens that are never cancelled
            var received = new List<RunEvent>();
            var streaming = Task.Run(async () =>
            {
                await foreach (var item in host.Get<RunEvents>().SubscribeAsync(owner, runId, 0, CancellationToken.None))
                {
                    received.Add(item);
                }
            });
            var waiting = watching.WaitForFinishAsync(CancellationToken.None);
            await Task.Delay(200);
            Assert.False(streaming.IsCompleted);
            Assert.False(waiting.IsCompleted);

            host.Get<IHostApplicationLifetime>().StopApplication();

            await streaming.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
            // the stream ended without run-finished: its client reconnects with the last id once the app is back
            Assert.Equal([RunEvent.RunStarted, RunEvent.StepStarted], received.Select(e => e.Type));
        }
        finally
        {
            _steps.Release();
        }
    }
}
