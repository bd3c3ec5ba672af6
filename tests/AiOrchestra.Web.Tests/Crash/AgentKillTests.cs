using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Integrations;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Web.Tests.Crash;

/// <summary>
/// The app is killed with SIGKILL while an agent step is between two tool calls (the first answered and recorded, the
/// second in flight). After a restart the run finishes; the model is not asked again for the turn it had answered, and
/// the recorded tool call is not made again — read from the fakes' request log.
/// </summary>
[Trait("Provider", "sqlite")] // processes on an SQLite file: once, in the SQLite pass
public sealed class AgentKillTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly string _folder = AppProcess.FolderWithDatabase("aiorchestra-agentkill-");

    private string DatabaseFile => Path.Combine(_folder, "crash.db");

    [Fact]
    public async Task An_agent_killed_between_two_tool_calls_resumes_after_the_recorded_one()
    {
        var chats = 0;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fakes = await FakeServer.StartAsync(async (request, context) =>
        {
            switch (request.Path)
            {
                case "/tools/weather":
                    await FakeServer.Json(context, 200, """{"temp": 21}""");
                    return;
                case "/tools/forecast":
                    secondAsked.TrySetResult();
                    await held.Task.WaitAsync(context.RequestAborted);
                    await FakeServer.Json(context, 200, """{"tomorrow": "rain"}""");
                    return;
            }
            await (Interlocked.Increment(ref chats) == 1
                ? AgentFakes.OpenAIToolCallsAsync(context, ("call_1", "weather", """{"body": {"city": "Paris"}}"""), ("call_2", "forecast", """{"body": {"city": "Paris"}}"""))
                : OpenAIStepTests.StreamAsync(context, "21 °C today, rain tomorrow."));
        });
        var settings = new Dictionary<string, string>
        {
            ["Outbound:Allow"] = "127.0.0.1",
            ["OpenAI:ApiKey"] = IntegrationHarness.OpenAIKey,
            ["OpenAI:BaseUrl"] = fakes.Url + "/v1",
        };
        string runId;
        try
        {
            using (var first = await AppProcess.StartAsync(_folder, DatabaseFile, settings, Timeout))
            {
                try
                {
                    using var client = await first.LoginAsync();
                    var created = await client.PostAsync("/api/workflows", ApiFactory.Json(Workflow(fakes.Url)));
                    Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
                    var queued = await client.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "agent_crash", wait = false });
                    runId = (string)JsonNode.Parse(await queued.Content.ReadAsStringAsync())!["run_id"]!;
                    await secondAsked.Task.WaitAsync(Timeout);
                    // the second call is in flight, so the first is answered; wait until its note is stored
                    var waited = Stopwatch.StartNew();
                    while (await CountEntriesAsync() < 2)
                    {
                        Assert.True(waited.Elapsed < Timeout, "the first tool call was not recorded\n" + first.Output);
                        await Task.Delay(25);
                    }
                }
                finally
                {
                    first.Kill();
                }
            }
            Assert.Equal(2, await CountEntriesAsync());

            held.TrySetResult();
            using var second = await AppProcess.StartAsync(_folder, DatabaseFile, settings, Timeout);
            using var api = await second.LoginAsync();
            var waitedForRun = Stopwatch.StartNew();
            JsonNode run;
            while ((string?)(run = JsonNode.Parse(await api.GetStringAsync($"/api/runs/{runId}"))!)["status"] is "queued" or "running")
            {
                Assert.True(waitedForRun.Elapsed < Timeout, "the run did not finish after the restart\n" + second.Output);
                await Task.Delay(50);
            }
            Assert.True((string?)run["status"] == "succeeded", run.ToJsonString());
            Assert.Equal("21 °C today, rain tomorrow.", (string?)run["outputs"]!["ask"]!["answer"]);
        }
        finally
        {
            held.TrySetResult();
        }

        var paths = fakes.Received.Select(r => r.Path).ToList();
        Assert.Equal(1, paths.Count(p => p == "/tools/weather"));
        Assert.Equal(2, paths.Count(p => p == "/v1/chat/completions"));
        // the call in flight when the process died is made again, once
        Assert.Equal(2, paths.Count(p => p == "/tools/forecast"));
        var last = AgentFakes.Messages(fakes.Received.Last(r => r.Path == "/v1/chat/completions"));
        Assert.Equal(["system", "user", "assistant", "tool", "tool"], last.Select(m => (string?)m!["role"]));
        Assert.Equal(4, await CountEntriesAsync()); // turn, tool, tool, turn
    }

    private static string Workflow(string fakeUrl)
    {
        JsonObject Tool(string name) => new()
        {
            ["name"] = name, ["step_type"] = "http", ["action"] = "request",
            ["parameters"] = new JsonObject { ["method"] = "POST", ["url"] = $"{fakeUrl}/tools/{name}" }, ["arguments"] = new JsonArray("body"),
        };
        return new JsonObject
        {
            ["workflow_id"] = "agent_crash",
            ["name"] = "Agent crash test",
            ["steps"] = new JsonArray(new JsonObject
            {
                ["step_id"] = "ask", ["step_type"] = "agent", ["action"] = "run",
                ["parameters"] = new JsonObject
                {
                    ["instructions"] = "Answer with the tools.", ["input"] = "Weather in Paris?", ["tools"] = new JsonArray(Tool("weather"), Tool("forecast")),
                },
            }),
        }.ToJsonString();
    }

    private async Task<long> CountEntriesAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM run_step_entries";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open on some platforms; the temp folder is cleaned by the system
        }
    }
}
