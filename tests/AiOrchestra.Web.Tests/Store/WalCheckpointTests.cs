using AiOrchestra.Web.Data;
using AiOrchestra.Web.Data.Sqlite;
using AiOrchestra.Web.Runs;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Web.Tests.Store;

public sealed class WalCheckpointTests
{
    [Fact]
    [Trait("Provider", "sqlite")]
    public async Task The_write_ahead_log_is_checkpointed_off_the_run_writer_and_stays_bounded()
    {
        using var database = new TempDatabase(sqliteOnly: true);
        var file = Path.Combine(database.Folder, "test.db");
        await using var host = new StoreHost(database, new FakeSteps(), new() { ["Runs:Concurrency"] = "16" });
        var owner = await host.CreateUserAsync("ada");
        // three steps of 60,000 characters each: every run writes about 45 pages of its own
        var text = new string('x', 60_000);
        await host.SaveAsync(owner, FakeSteps.Workflow("big", FakeSteps.Step("one", "echo", text), FakeSteps.Step("two", "echo", text), FakeSteps.Step("three", "echo", text)));
        var pagesBefore = Pragma(file, "page_count")[0];

        var runs = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            runs.Add(await host.EnqueueAsync(owner, "big"));
        }
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Succeeded, (await host.WaitForRunAsync(owner, run)).Run.Status);
        }

        // the runs wrote more pages than the log may hold, so it was started over ...
        var written = Pragma(file, "page_count")[0] - pagesBefore;
        Assert.True(written > WalCheckpoints.WriterCheckpointPages + WalCheckpoints.CheckpointPages, $"{written} pages written");
        var logPages = Pragma(file, "wal_checkpoint(PASSIVE)")[1];
        Assert.True(logPages <= WalCheckpoints.WriterCheckpointPages + WalCheckpoints.CheckpointPages, $"the log holds {logPages} pages");
        // ... and copied into the file by a thread of its own, not inside the writer's commits
        var checkpoints = host.Get<RunWriter>().Checkpoints!;
        Assert.True(checkpoints.Copied >= written / WalCheckpoints.CheckpointPages / 2, $"{checkpoints.Copied} copies, {checkpoints.WriterCopies} by the writer");
    }

    private static long[] Pragma(string file, string pragma)
    {
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma}";
        using var reader = command.ExecuteReader();
        reader.Read();
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetInt64).ToArray();
    }
}
