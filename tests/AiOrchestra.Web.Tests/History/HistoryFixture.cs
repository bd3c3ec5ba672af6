using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.History;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.History;

/// <summary>
/// The app on a test's own SQLite file with one user and one workflow, and runs written straight into the store
/// at chosen times. The clock is far in the future, so the app's own clean-up (on the real clock) never touches them.
/// </summary>
internal sealed class HistoryFixture : IAsyncDisposable
{
    private long _recordId;
    private long _versionId;

    private HistoryFixture(StoreHost host) => Host = host;

    public StoreHost Host { get; }
    public string OwnerId { get; private set; } = "";
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2100, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public static async Task<HistoryFixture> StartAsync(TempDatabase database, Dictionary<string, string?>? settings = null)
    {
        // the worker looks for runs only when told: a queued run written straight into the store stays queued (its 5 s
        // poll once took one, ran it, and so made it one more finished run for the clean-up)
        var all = new Dictionary<string, string?>(settings ?? []);
        all.TryAdd("Runs:PollSeconds", "3600");
        var fixture = new HistoryFixture(new StoreHost(database, new FakeSteps(), all));
        fixture.OwnerId = await fixture.Host.CreateUserAsync("ada");
        await fixture.Host.SaveAsync(fixture.OwnerId, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        var version = await fixture.Host.WithDbAsync(db => db.WorkflowVersions.SingleAsync());
        fixture._recordId = version.WorkflowRecordId;
        fixture._versionId = version.Id;
        return fixture;
    }

    public HistoryPruner Pruner(RetentionOptions retention, TimeProvider? time = null) =>
        new(Host.Get<IDbContextFactory<AppDbContext>>(), Host.Get<StoreSql>(), Options.Create(retention), Host.Get<AiOrchestra.Web.Metrics.OperationMetrics>(), time ?? Time,
            NullLogger<HistoryPruner>.Instance);

    /// <summary>Stores a run created <paramref name="age"/> ago (finished then too unless in flight), with one step.</summary>
    public async Task<string> AddRunAsync(RunStatus status, TimeSpan age, int outputBytes = 10) =>
        (await AddRunsAsync(status, age, 1, outputBytes)).Single();

    public async Task<List<string>> AddRunsAsync(RunStatus status, TimeSpan age, int count, int outputBytes = 10)
    {
        var created = Time.GetUtcNow() - age;
        var runs = Enumerable.Range(0, count).Select(i =>
        {
            var at = created.AddMilliseconds(i);
            var id = Guid.CreateVersion7(at).ToString();
            return new Run
            {
                Id = id,
                OwnerId = OwnerId,
                WorkflowRecordId = _recordId,
                WorkflowVersionId = _versionId,
                WorkflowId = "greet",
                WorkflowVersionNumber = 1,
                Status = status,
                Inputs = "{}",
                CreatedAt = at,
                StartedAt = status == RunStatus.Queued ? null : at,
                FinishedAt = status.IsFinished() ? at : null,
                // a run in flight is leased by another live process: without a lease the host's worker could recover it,
                // run it to its end and so make it one more finished run for the clean-up (a test counted 698 for 697)
                LeaseOwner = status == RunStatus.Running ? "another-host/1/0" : null,
                LeaseExpiresAt = status == RunStatus.Running ? DateTimeOffset.UtcNow.AddDays(1) : null,
                Steps = [new RunStep { StepId = "hello", Status = StepStatus.Succeeded, Attempts = 1, Output = $"\"{new string('x', outputBytes)}\"" }],
            };
        }).ToList();
        await Host.WithDbAsync(async db =>
        {
            db.Runs.AddRange(runs);
            return await db.SaveChangesAsync();
        });
        return runs.Select(r => r.Id).ToList();
    }

    /// <summary>Gives the fixture's workflow (<c>greet</c>) its own retention.</summary>
    public Task<int> SetOwnRetentionAsync(int? days = null, int? failedDays = null, int? maxRuns = null) => Host.WithDbAsync(db =>
    {
        db.WorkflowRetentions.Add(new WorkflowRetention { OwnerId = OwnerId, WorkflowId = "greet", Days = days, FailedDays = failedDays, MaxRuns = maxRuns });
        return db.SaveChangesAsync();
    });

    public Task<List<string>> StoredRunIdsAsync() => Host.WithDbAsync(db => db.Runs.OrderBy(r => r.Id).Select(r => r.Id).ToListAsync());

    public Task<int> StepCountAsync() => Host.WithDbAsync(db => db.RunSteps.CountAsync());

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
