using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Integrations;

namespace AiOrchestra.Web.Tests.Api;

/// <summary>
/// The execute call answers from the run as the worker stored it, without reading it back: its answer must be what
/// <c>GET /api/runs/{id}</c> reads from the store for the same run, outputs as stored (an http body stored once, an
/// output cut to Retention:MaxOutputBytes), times as stored, skipped and failed steps, and a failed run's errors.
/// </summary>
public sealed class ExecuteAnswerTests : IDisposable
{
    private sealed class App : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["Outbound:Allow"] = "127.0.0.1",
            ["Retention:MaxOutputBytes"] = "4096",
        };
    }

    private readonly App _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task The_execute_answer_is_the_stored_run_as_get_reads_it_with_its_steps_outputs_errors_and_times()
    {
        await using var stub = await FakeServer.StartAsync((request, context) => request.Path.EndsWith("/broken", StringComparison.Ordinal)
            ? FakeServer.Json(context, 500, """{"error":"down"}""")
            : FakeServer.Json(context, 200, """{"answer":"a \"quoted\" <word> + more","n":[1,2.5,true,null]}"""));
        using var client = await _app.AdminAsync();
        var workflow = new JsonObject
        {
            ["workflow_id"] = "answered",
            ["steps"] = new JsonArray(
                new JsonObject { ["step_id"] = "ask", ["step_type"] = "http", ["action"] = "request", ["parameters"] = new JsonObject { ["url"] = $"{stub.Url}/ask" } },
                new JsonObject
                {
                    ["step_id"] = "grow", ["step_type"] = "template", ["action"] = "render",
                    ["parameters"] = new JsonObject { ["text"] = string.Concat(Enumerable.Repeat("{{chunk}}", 10)) },
                },
                new JsonObject
                {
                    ["step_id"] = "never", ["step_type"] = "template", ["action"] = "render", ["when"] = "{{topic}} == 'other'",
                    ["parameters"] = new JsonObject { ["text"] = "skipped" },
                },
                new JsonObject { ["step_id"] = "broken", ["step_type"] = "template", ["action"] = "render", ["parameters"] = new JsonObject { ["text"] = "{{data.missing}}" }, ["on_error"] = "continue" },
                new JsonObject { ["step_id"] = "reply", ["step_type"] = "template", ["action"] = "render", ["parameters"] = new JsonObject { ["text"] = "{{topic}}: {{ask_output.json.answer}}" } }),
            ["variables"] = new JsonObject { ["data"] = new JsonObject(), ["chunk"] = string.Concat(Enumerable.Repeat("lörem ", 100)), ["topic"] = "this" },
        };
        var failing = new JsonObject
        {
            ["workflow_id"] = "answered_failing",
            ["steps"] = new JsonArray(
                new JsonObject { ["step_id"] = "first", ["step_type"] = "template", ["action"] = "render", ["parameters"] = new JsonObject { ["text"] = "one" } },
                new JsonObject { ["step_id"] = "down", ["step_type"] = "http", ["action"] = "request", ["parameters"] = new JsonObject { ["url"] = $"{stub.Url}/broken" } },
                new JsonObject { ["step_id"] = "after", ["step_type"] = "template", ["action"] = "render", ["parameters"] = new JsonObject { ["text"] = "two" } }),
        };
        foreach (var saved in new[] { workflow, failing })
        {
            var created = await client.PostAsync("/api/workflows", ApiFactory.Json(saved.ToJsonString()));
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        foreach (var (id, success) in new[] { ("answered", true), ("answered_failing", false) })
        {
            var executed = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = id, variables = new { topic = "this" } });
            Assert.Equal(HttpStatusCode.OK, executed.StatusCode);
            var answer = await executed.JsonAsync();
            var runId = answer["run_id"]!.GetValue<string>();
            var stored = await (await client.GetAsync($"/api/runs/{runId}")).JsonAsync();

            Assert.Equal(success, answer["success"]!.GetValue<bool>());
            Assert.Equal(stored["status"]!.GetValue<string>(), answer["run_status"]!.GetValue<string>());
            Assert.Equal(stored["success"]!.GetValue<bool>(), answer["success"]!.GetValue<bool>());
            Assert.Equal(stored["started_at"]!.ToJsonString(), answer["started_at"]!.ToJsonString());
            Assert.Equal(stored["finished_at"]!.ToJsonString(), answer["completed_at"]!.ToJsonString());
            Assert.Equal(stored["outputs"]!.ToJsonString(), answer["outputs"]!.ToJsonString());
            Assert.Equal(stored["errors"]!.ToJsonString(), answer["errors"]!.ToJsonString());
            Assert.Equal(stored["steps"]!.ToJsonString(), answer["steps"]!.ToJsonString());
            Assert.NotEmpty(answer["errors"]!.AsArray());
        }

        // what the comparison above covers: an http output whose body is stored once, a cut output, a skipped step
        var run = await (await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "answered", variables = new { topic = "this" } })).JsonAsync();
        Assert.Equal("""a "quoted" <word> + more""", run["outputs"]!["ask"]!["json"]!["answer"]!.GetValue<string>());
        Assert.Equal(run["outputs"]!["ask"]!["json"]!.ToJsonString(), System.Text.Json.Nodes.JsonNode.Parse(run["outputs"]!["ask"]!["body"]!.GetValue<string>())!.ToJsonString());
        Assert.Contains("[cut: the output was", run["outputs"]!["grow"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("skipped", run["steps"]!.AsArray().Single(s => s!["step_id"]!.GetValue<string>() == "never")!["status"]!.GetValue<string>());
    }
}
