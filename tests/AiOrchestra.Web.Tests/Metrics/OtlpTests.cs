using AiOrchestra.Web.Tests.Integrations;
using AiOrchestra.Web.Tests.Store;

namespace AiOrchestra.Web.Tests.Metrics;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, run traces and metrics go to that collector (here a local fake one).</summary>
public sealed class OtlpTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Traces_and_metrics_of_a_run_are_exported_over_otlp_when_an_endpoint_is_set()
    {
        await using var collector = await FakeServer.StartAsync((_, context) => FakeServer.Text(context, 200, ""));
        var steps = new FakeSteps();
        await using var host = new StoreHost(_database, steps, new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            // exported every 100 ms instead of every 5 s (spans) and 60 s (metrics)
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "100",
        });
        var owner = await host.CreateUserAsync("ada");
        // a workflow id no other test uses: spans and instruments are seen process-wide
        await host.SaveAsync(owner, FakeSteps.Workflow("otlp_exported", FakeSteps.Step("hello", "echo", "hi")));
        await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, "otlp_exported"));

        for (var i = 0; i < 300 && !(Exported("/v1/traces", "run otlp_exported") && Exported("/v1/metrics", "aiorchestra.runs.finished")); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(Exported("/v1/traces", "run otlp_exported"), "no span of the run reached the collector: " + string.Join(", ", collector.Received));
        Assert.True(Exported("/v1/traces", "step hello"));
        Assert.True(Exported("/v1/metrics", "aiorchestra.runs.finished"), "no run metric reached the collector: " + string.Join(", ", collector.Received));
        Assert.All(collector.Received, request => Assert.Equal("application/x-protobuf", request.Header("Content-Type")));

        // protobuf keeps strings as UTF-8 bytes: the span and instrument names are readable in the bodies
        bool Exported(string path, string name) => collector.Received.Any(r => r.Method == "POST" && r.Path == path && r.Body.Contains(name, StringComparison.Ordinal));
    }
}
