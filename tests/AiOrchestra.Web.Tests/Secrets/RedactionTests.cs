using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Settings;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Integrations;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiOrchestra.Web.Tests.Secrets;

/// <summary>
/// Services that echo the credential they were sent: the configured secret's value is replaced by
/// <c>[redacted: &lt;setting&gt;]</c> in what is stored, shown, streamed, exported and logged.
/// </summary>
public sealed class RedactionTests
{
    private const string Redacted = "[redacted: OpenAI:ApiKey]";

    private static string Workflow(string fakeUrl) => $$$"""
        {
          "workflow_id": "echo_key",
          "name": "Echo the key",
          "steps": [
            { "step_id": "ask", "step_type": "openai", "action": "generate_completion", "parameters": { "prompt": "Which key did I send?" } },
            { "step_id": "post", "step_type": "http", "action": "request",
              "parameters": { "method": "POST", "url": "{{{fakeUrl}}}/echo", "body": "{{ask_output}}" } }
          ]
        }
        """;

    /// <summary>
    /// The chat server streams the Authorization header it got back, cut in two between tokens; the HTTP server
    /// refuses what it was posted and repeats it in its error.
    /// </summary>
    private static async Task Echo(RecordedRequest request, HttpContext context, Task gate)
    {
        if (request.Path == "/echo")
        {
            await FakeServer.Text(context, 400, "refused: " + request.Body);
            return;
        }
        await gate;
        var sent = request.Header("Authorization")!;
        await OpenAIStepTests.StreamAsync(context, "You sent ", sent[..14], sent[14..], " - fine");
    }

    [Fact]
    public async Task An_echoed_key_is_redacted_in_the_stored_output_error_run_page_events_export_and_logs()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fakes = await FakeServer.StartAsync((request, context) => Echo(request, context, gate.Task));
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?> { ["Outbound:Allow"] = "127.0.0.1" });
        using var api = await app.AdminAsync();
        using var browser = await app.BrowserAsync();
        var saved = await api.PostAsync("/api/workflows", ApiFactory.Json(Workflow(fakes.Url)));
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());

        var queued = await api.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "echo_key", wait = false });
        var runId = (string)(await queued.JsonAsync())["run_id"]!;
        var events = new List<SseItem<string>>();
        await using (var live = IntegrationApp.EventsAsync(api, $"/api/runs/{runId}/events").GetAsyncEnumerator())
        {
            Assert.True(await live.MoveNextAsync());
            events.Add(live.Current);
            gate.SetResult();
            while (events[^1].EventType != "run-finished" && await live.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)))
            {
                events.Add(live.Current);
            }
        }

        // the services did get the key, and the second step the first one's real answer: only what is kept is redacted
        Assert.Equal($"Bearer {IntegrationHarness.OpenAIKey}", fakes.Received[0].Header("Authorization"));
        Assert.Contains(IntegrationHarness.OpenAIKey, fakes.Received.Single(r => r.Path == "/echo").Body);

        // streamed: the key cut across two tokens is still redacted, and nothing of the text is lost
        var streamed = string.Concat(events.Where(e => e.EventType == "step-delta").Select(e => (string)JsonNode.Parse(e.Data)!["delta"]!));
        Assert.StartsWith($"You sent Bearer {Redacted}", streamed);
        var finished = events.Where(e => e.EventType == "step-finished").Select(e => JsonNode.Parse(e.Data)!).ToList();
        Assert.Equal($"You sent Bearer {Redacted} - fine", (string?)finished[0]["output"]);
        Assert.Contains(Redacted, (string?)finished[1]["error"]);
        Assert.Contains(Redacted, (string?)JsonNode.Parse(events[^1].Data)!["error"]);

        var run = await (await api.GetAsync($"/api/runs/{runId}")).JsonAsync();
        Assert.Equal($"You sent Bearer {Redacted} - fine", (string?)run["outputs"]!["ask"]);
        var export = await api.GetStringAsync($"/api/runs/{runId}/log");
        Assert.Contains(Redacted, export);
        var page = await browser.GetStringAsync($"/Logs/{runId}");
        Assert.Contains(Redacted, page);
        var replayed = await api.GetStringAsync($"/api/runs/{runId}/events");
        Assert.Contains(Redacted, replayed);

        var seen = new List<string> { run.ToJsonString(), export, page, replayed, await browser.GetStringAsync("/Logs") };
        seen.AddRange(events.Select(e => e.Data));
        seen.AddRange(app.Logs.Lines);
        foreach (var text in seen)
        {
            Assert.DoesNotContain(IntegrationHarness.OpenAIKey, text);
        }
    }

    [Fact]
    public async Task A_log_line_and_its_exception_are_redacted_and_a_secret_saved_in_Settings_counts_at_once()
    {
        await using var fakes = await FakeServer.StartAsync((_, context) => FakeServer.Text(context, 404, ""));
        using var app = new IntegrationApp(fakes.Url, new Dictionary<string, string?> { ["Notion:Token"] = null });
        using var api = await app.AdminAsync();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Test.Redaction");
        const string stored = "secret_STORED-IN-SETTINGS-5e1a";

        log.LogWarning(new InvalidOperationException($"the server said {IntegrationHarness.GitHubToken}"), "Calling with {Key}", IntegrationHarness.OpenAIKey);
        log.LogWarning("Before it is saved: {Token}", stored);
        app.Services.GetRequiredService<SecretStore>().Set("Notion:Token", stored);
        log.LogWarning("After it is saved: {Token}", stored);

        var lines = app.Logs.Lines.Where(line => line.Contains("Test.Redaction", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Contains("Calling with [redacted: OpenAI:ApiKey]", lines[0]);
        Assert.Contains("the server said [redacted: GitHub:Token]", lines[0]);
        Assert.DoesNotContain(IntegrationHarness.OpenAIKey, lines[0]);
        Assert.DoesNotContain(IntegrationHarness.GitHubToken, lines[0]);
        Assert.Contains(stored, lines[1]);
        Assert.Contains("After it is saved: [redacted: Notion:Token]", lines[2]);
        Assert.DoesNotContain(stored, lines[2]);
    }
}
