using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Integrations;

namespace AiOrchestra.Web.Tests.Metrics;

/// <summary>Metrics of integrations and LLM calls read through the Prometheus exporter, run traces, and request logs: the whole app on Kestrel.</summary>
public sealed class TelemetryTests
{
    private const string Token = "scrape-token-0123456789";

    private static readonly Dictionary<string, string?> MetricsOn = new() { ["Metrics:Enabled"] = "true", ["Metrics:Token"] = Token };

    private static async Task SaveAsync(HttpClient api, string json)
    {
        var saved = await api.PostAsync("/api/workflows", ApiFactory.Json(json));
        Assert.True(saved.StatusCode == HttpStatusCode.Created, await saved.Content.ReadAsStringAsync());
    }

    private static async Task<string> ScrapeAsync(IntegrationApp app)
    {
        using var scraper = app.Anonymous();
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return await scraper.GetStringAsync("/metrics");
    }

    [Fact]
    public async Task A_run_with_an_llm_step_shows_its_tokens_by_model_and_direction_and_the_integration_call_by_provider_and_status()
    {
        await using var fakes = await FakeServer.StartAsync((_, context) => OpenAIStepTests.StreamAsync(context, "Hi"));
        using var app = new IntegrationApp(fakes.Url, MetricsOn);
        using var api = await app.AdminAsync();
        // a model name no other test uses: instruments of the same name are seen process-wide
        await SaveAsync(api, """
            { "workflow_id": "tokens", "name": "Tokens", "steps": [
              { "step_id": "ask", "step_type": "openai", "action": "generate_completion",
                "parameters": { "prompt": "Say hi", "model": "metrics-model-7" } } ] }
            """);

        var result = await IntegrationApp.ExecuteAsync(api, "tokens");
        Assert.True((bool)result["success"]!, result.ToJsonString());

        var text = await ScrapeAsync(app);
        Assert.Matches(new Regex("""^aiorchestra_llm_tokens_total\{(?=[^}]*direction="input")(?=[^}]*model="metrics-model-7")[^}]*\} 12\b""", RegexOptions.Multiline), text);
        Assert.Matches(new Regex("""^aiorchestra_llm_tokens_total\{(?=[^}]*direction="output")(?=[^}]*model="metrics-model-7")[^}]*\} 3\b""", RegexOptions.Multiline), text);
        Assert.Matches(new Regex("""^aiorchestra_integration_calls_total\{(?=[^}]*provider="openai")(?=[^}]*status="200")[^}]*\} [1-9]""", RegexOptions.Multiline), text);
    }

    [Fact]
    public async Task A_webhook_fire_is_counted_by_trigger_type_workflow_and_outcome()
    {
        using var app = new IntegrationApp("http://127.0.0.1:9", MetricsOn);
        using var api = await app.AdminAsync();
        // a workflow id no other test uses: instruments of the same name are seen process-wide
        await SaveAsync(api, """
            { "workflow_id": "metrics_hooked", "name": "Hooked", "steps": [
              { "step_id": "reply", "step_type": "template", "action": "render", "parameters": { "text": "hi" } } ],
              "triggers": [ { "trigger_id": "push", "type": "webhook" } ] }
            """);
        var url = (await (await api.GetAsync("/api/workflows/metrics_hooked")).JsonAsync())["triggers"]![0]!["url"]!.GetValue<string>();
        using var hooks = app.Anonymous();

        Assert.Equal(HttpStatusCode.Accepted, (await hooks.PostAsync(url, ApiFactory.Json("{}"))).StatusCode);

        var text = await ScrapeAsync(app);
        Assert.Matches(new Regex("""^aiorchestra_trigger_fires_total\{(?=[^}]*outcome="started")(?=[^}]*type="webhook")(?=[^}]*workflow="metrics_hooked")[^}]*\} 1\b""", RegexOptions.Multiline), text);
    }

    [Fact]
    public async Task A_three_step_run_is_one_trace_linked_to_the_request_with_a_span_per_step_and_its_trace_id_on_the_run_page()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "AiOrchestra" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var app = new IntegrationApp("http://127.0.0.1:9");
        using var api = await app.AdminAsync();
        await SaveAsync(api, """
            { "workflow_id": "traced", "name": "Traced", "steps": [
              { "step_id": "one", "step_type": "template", "action": "render", "parameters": { "text": "a" } },
              { "step_id": "two", "step_type": "template", "action": "render", "parameters": { "text": "{{one_output}}b" } },
              { "step_id": "three", "step_type": "template", "action": "render", "parameters": { "text": "{{two_output}}c" } } ] }
            """);

        var result = await IntegrationApp.ExecuteAsync(api, "traced");
        var runId = (string)result["run_id"]!;

        // the run's span ends just after its result is published: wait for it, not for a time
        Activity? run = null;
        for (var i = 0; i < 200 && run is null; i++)
        {
            run = stopped.FirstOrDefault(a => a.OperationName == "run" && (string?)a.GetTagItem("aiorchestra.run.id") == runId);
            if (run is null)
            {
                await Task.Delay(50);
            }
        }
        Assert.NotNull(run);
        var trace = stopped.Where(a => a.TraceId == run.TraceId).ToList();

        var queued = Assert.Single(trace, a => a.SpanId == run.ParentSpanId);
        Assert.Equal(default, queued.ParentSpanId);
        var link = Assert.Single(queued.Links);
        var request = Assert.Single(stopped, a => a.SpanId == link.Context.SpanId);
        Assert.Equal("Microsoft.AspNetCore", request.Source.Name);
        Assert.NotEqual(run.TraceId, request.TraceId);
        Assert.Equal("run traced", run.DisplayName);
        Assert.Equal("succeeded", run.GetTagItem("aiorchestra.run.status"));

        var steps = trace.Where(a => a.ParentSpanId == run.SpanId).OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(["one", "two", "three"], steps.Select(s => (string?)s.GetTagItem("aiorchestra.step.id")));
        Assert.All(steps, s =>
        {
            Assert.Equal("template", s.GetTagItem("aiorchestra.step.type"));
            Assert.Equal("render", s.GetTagItem("aiorchestra.step.action"));
            Assert.Equal(1, s.GetTagItem("aiorchestra.step.attempts"));
            Assert.Equal("succeeded", s.GetTagItem("aiorchestra.step.status"));
        });

        using var browser = await app.BrowserAsync();
        var page = await browser.GetStringAsync($"/Logs/{runId}");
        Assert.Contains($"<code id=\"run-trace\">{run.TraceId.ToHexString()}</code>", page);
    }

    [Fact]
    public async Task Request_logs_show_method_path_and_status_but_never_credentials_a_cookie_or_a_webhook_token()
    {
        using var app = new IntegrationApp("http://127.0.0.1:9", new Dictionary<string, string?> { ["RequestLogs:Enabled"] = "true", ["RequestLogs:RequestHeaders:0"] = "Authorization" },
            everyLevel: false);
        using var client = app.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/workflows?code=query-secret-3141");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "bearer-secret-2718");
        request.Headers.Add("Cookie", "session=cookie-secret-1618");
        await client.SendAsync(request);
        await client.PostAsync("/hooks/hook-token-secret-1414", ApiFactory.Json("{}"));

        string[] lines = [];
        for (var i = 0; i < 100 && lines.Length < 2; i++)
        {
            lines = app.Logs.Lines.Where(l => l.Contains("Microsoft.AspNetCore.HttpLogging")).ToArray();
            if (lines.Length < 2)
            {
                await Task.Delay(50);
            }
        }
        var logged = string.Join("\n", lines);
        Assert.Contains("/api/workflows", logged);
        Assert.Contains("StatusCode: 401", logged);
        Assert.Contains("/hooks/***", logged);
        foreach (var secret in new[] { "query-secret-3141", "bearer-secret-2718", "cookie-secret-1618", "hook-token-secret-1414" })
        {
            Assert.DoesNotContain(secret, string.Join("\n", app.Logs.Lines));
        }
    }
}
