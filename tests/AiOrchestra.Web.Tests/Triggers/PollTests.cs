using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Integrations;
using AiOrchestra.Web.Tests.Store;
using AiOrchestra.Web.Triggers;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Triggers;

/// <summary>Poll triggers against a local fake of GitHub's issues API.</summary>
public sealed class PollTests : IAsyncLifetime
{
    private readonly TempDatabase _database = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private FakeServer _github = null!;
    private volatile string _issues = "[]";
    private volatile int _status = 200;

    public async Task InitializeAsync() =>
        _github = await FakeServer.StartAsync((_, context) => FakeServer.Json(context, _status, _issues));

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        _database.Dispose();
    }

    private TriggerHost Host() => new(_database, _time, new() { ["GitHub:Token"] = "ghp_test", ["GitHub:BaseUrl"] = _github.Url + "/" });

    /// <summary>GitHub's answer with these issue numbers, newest first.</summary>
    private void Issues(params int[] numbers) => _issues = new JsonArray(numbers.Select(n => (JsonNode)new JsonObject
    {
        ["id"] = 1000 + n, ["number"] = n, ["title"] = $"Issue {n}", ["state"] = "open", ["labels"] = new JsonArray(),
        ["html_url"] = $"https://github.com/octo/app/issues/{n}", ["url"] = $"https://api.github.com/repos/octo/app/issues/{n}",
    }).ToArray()).ToJsonString();

    private static string Workflow(string mode, int maxItems = 100) => $$$"""
        {"workflow_id": "triage", "steps": [{"step_id": "note", "step_type": "fake", "action": "echo", "parameters": {"text": "{{trigger}}"}}],
         "variables": {"repo": "octo/app"},
         "triggers": [{"trigger_id": "issues", "type": "poll", "every_seconds": 60, "step_type": "github", "action": "list_issues",
                       "parameters": {"repo": "{{repo}}"}, "item_id": "number", "mode": "{{{mode}}}", "max_items": {{{maxItems}}}}]}
        """;

    private async Task PollAsync(TriggerHost host)
    {
        _time.Advance(TimeSpan.FromSeconds(60));
        await host.Get<TriggerPoller>().PollDueAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_first_poll_is_a_baseline_then_each_new_item_starts_one_run_and_seen_items_stay_seen_after_a_restart()
    {
        Issues(2, 1);
        await using (var first = Host())
        {
            await first.SaveAsync(await first.UserAsync("ada"), Workflow("per_item"));
            await first.Get<TriggerPoller>().PollDueAsync(CancellationToken.None);
            Assert.Empty(await first.RunsAsync("poll:issues"));
            Assert.Equal("[\"2\",\"1\"]", (await first.StateAsync("triage", "issues")).Cursor);
            Assert.Contains("/repos/octo/app/issues", _github.Received[0].Path);

            Issues(4, 3, 2, 1);
            await PollAsync(first);
            var runs = await first.RunsAsync("poll:issues");
            Assert.Equal(2, runs.Count);
            // each with its own item
            Assert.Equal([3, 4], runs.Select(r => JsonNode.Parse(r.Inputs)!["trigger"]!["item"]!["number"]!.GetValue<int>()).Order());
        }

        await using var second = Host();
        await PollAsync(second);
        Assert.Equal(2, (await second.RunsAsync("poll:issues")).Count);
        Issues(5, 4, 3, 2, 1);
        await PollAsync(second);
        Assert.Equal(3, (await second.RunsAsync("poll:issues")).Count);
    }

    [Fact]
    public async Task Batch_mode_starts_one_run_for_the_new_items_and_the_cap_leaves_the_rest_for_the_next_poll()
    {
        Issues(1);
        await using var host = Host();
        await host.SaveAsync(await host.UserAsync("ada"), Workflow("batch", maxItems: 3));
        await host.Get<TriggerPoller>().PollDueAsync(CancellationToken.None);

        Issues(6, 5, 4, 3, 2, 1);
        await PollAsync(host);
        var first = Assert.Single(await host.RunsAsync("poll:issues"));
        Assert.Equal([4, 5, 6], JsonNode.Parse(first.Inputs)!["trigger"]!["items"]!.AsArray().Select(i => i!["number"]!.GetValue<int>()));

        await PollAsync(host);
        var runs = await host.RunsAsync("poll:issues");
        Assert.Equal(2, runs.Count);
        Assert.Equal([2, 3], JsonNode.Parse(runs[1].Inputs)!["trigger"]!["items"]!.AsArray().Select(i => i!["number"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_source_that_fails_is_recorded_on_the_trigger_and_starts_nothing_until_it_recovers()
    {
        Issues(1);
        await using var host = Host();
        await host.SaveAsync(await host.UserAsync("ada"), Workflow("per_item"));
        await host.Get<TriggerPoller>().PollDueAsync(CancellationToken.None);

        _status = 404;
        _issues = """{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}""";
        await PollAsync(host);
        var state = await host.StateAsync("triage", "issues");
        Assert.StartsWith("poll failed: ", state.LastError);
        Assert.Contains("Not Found", state.LastError);
        Assert.Equal(_time.GetUtcNow(), state.LastErrorAt);
        Assert.Equal("[\"1\"]", state.Cursor);
        Assert.Empty(await host.RunsAsync("poll:issues"));

        _status = 200;
        Issues(2, 1);
        await PollAsync(host);
        Assert.Single(await host.RunsAsync("poll:issues"));
        Assert.Null((await host.StateAsync("triage", "issues")).LastError);
    }

    [Fact]
    public async Task A_source_that_returns_no_list_is_recorded_with_the_reason()
    {
        await using var host = Host();
        await host.SaveAsync(await host.UserAsync("ada"), """
            {"workflow_id": "odd", "steps": [{"step_id": "note", "step_type": "fake", "action": "echo", "parameters": {"text": "{{trigger}}"}}],
             "triggers": [{"trigger_id": "texts", "type": "poll", "every_seconds": 30, "step_type": "fake", "action": "echo", "parameters": {"text": "hello"}}]}
            """);

        await host.Get<TriggerPoller>().PollDueAsync(CancellationToken.None);

        var state = await host.StateAsync("odd", "texts");
        Assert.Equal("poll failed: fake.echo returned a string, not a list; a poll needs an action that returns a JSON array", state.LastError);
        Assert.Null(state.Cursor);
        Assert.Empty(await host.RunsAsync("poll:texts"));
    }
}
