using System.Net;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Approvals;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Runs;

/// <summary>
/// A failed child run is final, so a retry of its <c>workflow</c> step and a resume of its parent start a fresh child
/// (linked to the parent) instead of getting the failed one back; a parent recovered after a crash still never starts
/// a child that had finished again.
/// </summary>
public sealed class ChildRetryTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FakeSteps _steps = new() { Blocking = false };

    public void Dispose() => _database.Dispose();

    // the child's step fails the first time it is ever called, then succeeds
    private const string Child = """
        {"workflow_id": "child", "steps": [{"step_id": "once", "step_type": "fake", "action": "fail_first", "parameters": {"text": "child ok"}}]}
        """;

    private static string Parent(string retry) => $$$"""
        {"workflow_id": "parent", "steps": [
          {"step_id": "sub", "step_type": "workflow", "action": "run", "parameters": {"workflow_id": "child"}{{{retry}}}},
          {"step_id": "after", "step_type": "fake", "action": "echo", "parameters": {"text": "after {{sub_output.once}}"}}
        ]}
        """;

    private ApprovalHost Host() => new(_database, _time, _steps);

    [Fact]
    public async Task A_retried_workflow_step_starts_a_fresh_child_per_attempt_and_a_recovered_parent_starts_none_again()
    {
        string owner, parentId;
        List<Run> children;
        await using (var host = Host())
        {
            var api = await host.ApiAsync();
            owner = await host.AdminIdAsync();
            await host.SaveAsync(owner, Child);
            await host.SaveAsync(owner, Parent(""", "retry": {"max_attempts": 3, "initial_delay_ms": 0, "max_delay_ms": 0}"""));
            parentId = await host.EnqueueAsync(owner, "parent");

            var finished = await host.UntilAsync(owner, parentId, RunStatus.Succeeded);
            Assert.Equal("\"after child ok\"", finished.Steps.Single(s => s.StepId == "after").Output);
            Assert.Equal(2, finished.Steps.Single(s => s.StepId == "sub").Attempts);
            children = await ChildrenAsync(host, parentId);
            Assert.Equal([RunStatus.Failed, RunStatus.Succeeded], children.Select(c => c.Status));
            Assert.All(children, c => Assert.Equal(("sub", $"workflow:{parentId}"), (c.ParentStepId, c.Origin)));
            var listed = await (await api.GetAsync($"/api/runs/{parentId}")).JsonAsync();
            Assert.Equal(children.Select(c => c.Id).Order(), listed["child_runs"]!.AsArray().Select(c => (string?)c!["run_id"]).Order());
        }
        Assert.Equal(2, _steps.CallsOfStep("once"));

        // as after a crash before the parent's step was written: the parent running again, its steps unrecorded
        await using (var db = _database.OpenContext())
        {
            await db.StepsOf(parentId).ExecuteDeleteAsync();
            await db.Runs.Where(r => r.Id == parentId).ExecuteUpdateAsync(u => u
                .SetProperty(r => r.Status, RunStatus.Running).SetProperty(r => r.FinishedAt, (DateTimeOffset?)null).SetProperty(r => r.LeaseOwner, "a-process-that-died"));
        }
        await using (var second = Host())
        {
            var recovered = await second.UntilAsync(owner, parentId, RunStatus.Succeeded);
            Assert.Equal("\"after child ok\"", recovered.Steps.Single(s => s.StepId == "after").Output);
            // attempt 1 found its failed child, attempt 2 its finished one: neither started again, no third child
            Assert.Equal(children.Select(c => c.Id), (await ChildrenAsync(second, parentId)).Select(c => c.Id));
        }
        Assert.Equal(2, _steps.CallsOfStep("once"));
    }

    [Fact]
    public async Task Resuming_a_parent_whose_child_failed_starts_a_fresh_child_linked_to_the_new_run()
    {
        await using var host = Host();
        var api = await host.ApiAsync();
        var owner = await host.AdminIdAsync();
        await host.SaveAsync(owner, Child);
        await host.SaveAsync(owner, Parent(""));
        var failedId = await host.EnqueueAsync(owner, "parent");
        var failed = await host.UntilAsync(owner, failedId, RunStatus.Failed);
        var failedChild = Assert.Single(await ChildrenAsync(host, failedId));
        Assert.Equal(RunStatus.Failed, failedChild.Status);
        Assert.Contains($"child run {failedChild.Id} of workflow 'child' did not succeed", failed.Run.Error);

        var resumed = await api.PostAsync($"/api/runs/{failedId}/resume", null);
        Assert.True(resumed.StatusCode == HttpStatusCode.Accepted, await resumed.Content.ReadAsStringAsync());
        var resumedId = (string)(await resumed.JsonAsync())["run_id"]!;

        var finished = await host.UntilAsync(owner, resumedId, RunStatus.Succeeded);
        Assert.Equal("\"after child ok\"", finished.Steps.Single(s => s.StepId == "after").Output);
        var freshChild = Assert.Single(await ChildrenAsync(host, resumedId));
        Assert.NotEqual(failedChild.Id, freshChild.Id);
        Assert.Equal(RunStatus.Succeeded, freshChild.Status);
        // the failed child stays as it was, still linked to the run it failed in
        Assert.Equal(RunStatus.Failed, Assert.Single(await ChildrenAsync(host, failedId)).Status);
        Assert.Equal(2, _steps.CallsOfStep("once"));
    }

    private static Task<List<Run>> ChildrenAsync(ApprovalHost host, string parentId) =>
        host.WithDbAsync(db => db.Runs.AsNoTracking().Where(r => r.ParentRunId == parentId).OrderBy(r => r.ChildKey).ToListAsync());
}
