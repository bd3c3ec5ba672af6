using System.Text.Json.Nodes;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.Store;

public sealed class WorkflowStoreTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Each_save_keeps_an_immutable_version_and_a_run_records_the_version_it_ran()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");

        var first = await host.SaveAsync(owner, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "one")));
        var second = await host.SaveAsync(owner, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "two")));

        Assert.Equal(1, first.Version);
        Assert.Equal(2, second.Version);
        var versions = await host.InScope<WorkflowStore, IReadOnlyList<WorkflowVersionSummary>>(
            s => s.ListVersionsAsync(owner, "greet", CancellationToken.None));
        Assert.Equal([2, 1], versions.Select(v => v.Number));
        var old = await host.InScope<WorkflowStore, StoredWorkflow?>(s => s.GetVersionAsync(owner, "greet", 1, CancellationToken.None));
        Assert.Equal("one", old!.Workflow.Steps[0].Parameters["text"]!.GetValue<string>());

        var runId = await host.EnqueueAsync(owner, "greet");
        var run = await host.WaitForRunAsync(owner, runId);

        Assert.Equal(second.VersionId, run.Run.WorkflowVersionId);
        Assert.Equal(2, run.Run.WorkflowVersionNumber);
        Assert.Equal("\"two\"", run.Steps.Single().Output);
    }

    [Fact]
    public async Task An_invalid_workflow_is_not_saved_and_nothing_is_written()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        var invalid = FakeSteps.Workflow("broken", new WorkflowStep { StepId = "s", StepType = "no_such_type", Action = "x" });

        var result = await host.InScope<WorkflowStore, WorkflowSaveResult>(s => s.SaveAsync(owner, invalid, CancellationToken.None));

        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Path.StartsWith("steps[0]", StringComparison.Ordinal));
        Assert.Equal(0, await host.WithDbAsync(db => db.Workflows.CountAsync()));
        Assert.Equal(0, await host.WithDbAsync(db => db.WorkflowVersions.CountAsync()));
    }

    [Fact]
    public async Task A_deleted_workflow_is_gone_for_its_owner_but_its_runs_keep_their_history()
    {
        await using var host = new StoreHost(_database, _steps);
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        var runId = await host.EnqueueAsync(owner, "greet");
        await host.WaitForRunAsync(owner, runId);

        Assert.True(await host.InScope<WorkflowStore, bool>(s => s.DeleteAsync(owner, "greet", CancellationToken.None)));

        Assert.Null(await host.InScope<WorkflowStore, StoredWorkflow?>(s => s.GetAsync(owner, "greet", CancellationToken.None)));
        Assert.Empty(await host.InScope<WorkflowStore, IReadOnlyList<WorkflowSummary>>(s => s.ListAsync(owner, CancellationToken.None)));
        Assert.False(await host.InScope<WorkflowStore, bool>(s => s.DeleteAsync(owner, "greet", CancellationToken.None)));
        Assert.Equal(RunStatus.Succeeded, (await host.GetRunAsync(owner, runId)).Run.Status);

        var enqueued = await host.Get<AiOrchestra.Web.Runs.RunQueue>().EnqueueAsync(owner, "greet", new Dictionary<string, JsonNode?>(), CancellationToken.None);
        Assert.True(enqueued.WorkflowNotFound);

        // saving the id again brings it back with the next version number
        var again = await host.SaveAsync(owner, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "back")));
        Assert.Equal(2, again.Version);
    }
}
