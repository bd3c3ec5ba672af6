using System.Text.Json.Nodes;
using AiOrchestra.Engine.Prompts;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;

namespace AiOrchestra.Web.Tests.Store;

public sealed class OwnershipTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task One_user_cannot_read_run_cancel_or_delete_what_another_owns()
    {
        await using var host = new StoreHost(_database, new FakeSteps());
        var ada = await host.CreateUserAsync("ada");
        var bob = await host.CreateUserAsync("bob");
        await host.SaveAsync(ada, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        await host.InScope<PromptStore, PromptSaveResult>(s => s.SaveAsync(ada, new PromptTemplate { TemplateId = "p", Template = "x" }, CancellationToken.None));
        var runId = await host.EnqueueAsync(ada, "greet");
        await host.WaitForRunAsync(ada, runId);

        Assert.Null(await host.InScope<WorkflowStore, StoredWorkflow?>(s => s.GetAsync(bob, "greet", CancellationToken.None)));
        Assert.Empty(await host.InScope<WorkflowStore, IReadOnlyList<WorkflowSummary>>(s => s.ListAsync(bob, CancellationToken.None)));
        Assert.False(await host.InScope<WorkflowStore, bool>(s => s.DeleteAsync(bob, "greet", CancellationToken.None)));
        Assert.Null(await host.InScope<PromptStore, StoredPrompt?>(s => s.GetAsync(bob, "p", CancellationToken.None)));
        Assert.Null(await host.Get<IPromptLibrary>().FindAsync(bob, "p", CancellationToken.None));
        Assert.False(await host.InScope<PromptStore, bool>(s => s.DeleteAsync(bob, "p", CancellationToken.None)));
        Assert.Null(await host.InScope<RunStore, RunDetails?>(s => s.GetAsync(bob, runId, CancellationToken.None)));
        Assert.Null(await host.InScope<RunStore, JsonObject?>(s => s.ExportAsync(bob, runId, CancellationToken.None)));
        Assert.Empty((await host.InScope<RunStore, RunPage>(s => s.ListAsync(bob, new RunFilter(), CancellationToken.None))).Runs);
        Assert.Equal(CancelResult.NotFound, await host.Get<RunQueue>().CancelAsync(bob, runId, CancellationToken.None));
        Assert.Empty(await host.Get<RunEvents>().SubscribeAsync(bob, runId, 0, CancellationToken.None).ToListAsync());
        Assert.True((await host.Get<RunQueue>().EnqueueAsync(bob, "greet", new Dictionary<string, JsonNode?>(), CancellationToken.None)).WorkflowNotFound);

        // and the owner still sees all of it
        Assert.NotNull(await host.InScope<WorkflowStore, StoredWorkflow?>(s => s.GetAsync(ada, "greet", CancellationToken.None)));
        Assert.Single((await host.InScope<RunStore, RunPage>(s => s.ListAsync(ada, new RunFilter(), CancellationToken.None))).Runs);
    }
}
