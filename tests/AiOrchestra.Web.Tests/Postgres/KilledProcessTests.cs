using System.Net.Http.Json;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// Three real app processes on one PostgreSQL database, one SIGKILLed with runs in flight: the other two take its runs
/// over once their lease runs out (5 s here) and finish them from the step that was in flight, calling no finished
/// step again. Before it dies, an execute call that waits on it gets the end of a run another process executed.
/// </summary>
[Trait("Provider", "postgres")]
[Collection(AppProcesses.Collection)]
public sealed class KilledProcessTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [PostgresFact]
    public async Task The_runs_of_a_killed_process_finish_on_the_others_and_no_finished_step_is_called_again()
    {
        await using var fakes = await ProcessFakes.StartAsync();
        await using var processes = await AppProcesses.StartAsync(1, new Dictionary<string, string>
        {
            ["Runs__Concurrency"] = "4",
            ["Runs__MaxShare"] = "1",
            ["Runs__PollSeconds"] = "1",
            ["Runs__LeaseSeconds"] = "5",
            ["Outbound__Allow"] = "127.0.0.1",
        });
        var doomed = processes.Apps[0];
        var token = await doomed.LogInAsync();
        await ProcessFakes.SaveAsync(doomed.Http, new
        {
            workflow_id = "survivor", name = "Survivor",
            steps = new[] { fakes.HttpStep("first", "count"), fakes.HttpStep("second", "hold"), fakes.HttpStep("third", "count") },
            variables = new { n = "" },
        });
        await ProcessFakes.SaveAsync(doomed.Http, new
        {
            workflow_id = "quick", name = "Quick", steps = new[] { fakes.HttpStep("only", "count") }, variables = new { n = "" },
        });
        // the first process alone holds four runs in their second step
        var runs = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            runs.Add(await ProcessFakes.QueueAsync(doomed.Http, "survivor", new { n = i }));
        }
        await ProcessFakes.WaitUntilAsync(async () => fakes.CallsTo("/hold/second") == 4, Limit, () => fakes.Summary);
        var others = new[] { await processes.AddAsync(), await processes.AddAsync() };
        foreach (var other in others)
        {
            other.UseToken(token);
        }
        // the newcomers leave a live process's runs alone (their lease is renewed)
        Assert.All(runs, run => Assert.Equal(1, fakes.Calls($"/hold/second?n={runs.IndexOf(run)}")));

        // every slot of the first process is taken: a run queued there with wait runs on another, and the answer still
        // comes once it has finished (200 with its outputs, not 202 after Api:ExecuteWaitSeconds)
        using (var waited = await doomed.Http.PostAsJsonAsync("/api/workflows/execute", new { workflow_id = "quick", variables = new { n = 9 }, wait = true }))
        {
            var body = await waited.Content.ReadAsStringAsync();
            Assert.True(waited.StatusCode == System.Net.HttpStatusCode.OK, $"{(int)waited.StatusCode} {body}");
            Assert.True((bool)System.Text.Json.Nodes.JsonNode.Parse(body)!["success"]!, body);
        }
        Assert.Equal(1, fakes.Calls("/count/only?n=9"));

        await doomed.KillAsync();
        fakes.Open();
        var statuses = await ProcessFakes.WaitForFinishAsync(others[0].Http, runs, Limit);

        Assert.All(statuses.Values, status => Assert.Equal("succeeded", status));
        for (var i = 0; i < runs.Count; i++)
        {
            Assert.Equal(1, fakes.Calls($"/count/first?n={i}"));
            Assert.Equal(2, fakes.Calls($"/hold/second?n={i}")); // in flight when the process died, then again
            Assert.Equal(1, fakes.Calls($"/count/third?n={i}"));
        }
    }
}
