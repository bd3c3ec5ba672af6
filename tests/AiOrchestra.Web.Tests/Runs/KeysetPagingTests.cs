using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;

namespace AiOrchestra.Web.Tests.Runs;

/// <summary>Paging the run history by a cursor (the last run's time and id) instead of an offset.</summary>
public sealed class KeysetPagingTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Following_next_lists_every_run_once_newest_first_even_when_many_share_a_millisecond()
    {
        await using var host = new StoreHost(_database, new FakeSteps());
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        var version = await host.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.WorkflowVersions));
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // 60 runs in one millisecond between 30 older and 30 newer ones
        var times = Enumerable.Range(0, 30).Select(i => start.AddSeconds(i))
            .Concat(Enumerable.Repeat(start.AddMinutes(5), 60))
            .Concat(Enumerable.Range(0, 30).Select(i => start.AddMinutes(10).AddSeconds(i))).ToList();
        var runs = times.Select(at => new Run
        {
            Id = Guid.CreateVersion7(at).ToString(), OwnerId = owner, WorkflowRecordId = version.WorkflowRecordId, WorkflowVersionId = version.Id,
            WorkflowId = "greet", WorkflowVersionNumber = 1, Status = RunStatus.Succeeded, Inputs = "{}", CreatedAt = at, FinishedAt = at,
        }).ToList();
        await host.WithDbAsync(db =>
        {
            db.Runs.AddRange(runs);
            return db.SaveChangesAsync();
        });
        var expected = runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal).Select(r => r.Id).ToList();

        var seen = new List<string>();
        RunCursor? before = null;
        var pages = 0;
        do
        {
            var page = await host.InScope<RunStore, RunPage>(store => store.ListAsync(owner, new RunFilter { Take = 25, Before = before }, CancellationToken.None));
            seen.AddRange(page.Runs.Select(r => r.Id));
            before = page.Next;
            pages++;
        }
        while (before is not null && pages < 20);

        Assert.Equal(expected, seen);
        Assert.Equal(5, pages);
    }

    [Fact]
    public void A_cursor_reads_back_as_written_and_nothing_else_reads_as_one()
    {
        var cursor = new RunCursor(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), "0190f0c4-2a1b-7000-8000-000000000000");

        Assert.True(RunCursor.TryParse(cursor.ToString(), out var read));
        Assert.Equal(cursor, read);
        foreach (var bad in new[] { "", "_", "12", "-5_0190f0c4-2a1b-7000-8000-000000000000", "12_x", "99999999999999999_0190f0c4-2a1b-7000-8000-000000000000" })
        {
            Assert.False(RunCursor.TryParse(bad, out _), bad);
        }
    }
}
