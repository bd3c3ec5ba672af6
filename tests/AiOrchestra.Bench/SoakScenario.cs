using System.Diagnostics;
using AiOrchestra.Web.History;

namespace AiOrchestra.Bench;

/// <summary>What the soak saw after a clean-up: runs finished, the database file and its write-ahead log on disk, runs stored (queued ones too), the process's memory.</summary>
internal sealed record SoakCheckpoint(long Processed, long DatabaseBytes, long LogBytes, long RunsStored, double ResidentMb);

/// <summary>One clean-up during the soak: when it ran, the runs it deleted, and the runs that finished meanwhile.</summary>
internal sealed record SoakPrune(TimeSpan Took, int Deleted, long FinishedMeanwhile);

internal sealed record SoakFigures(
    List<SoakCheckpoint> Checkpoints, long LargestDatabaseBytes, List<SoakPrune> Prunes, double RunsPerSecondWithout, double RunsPerSecondDuring, TimeSpan Took);

/// <summary>
/// Issue 15's soak: offline runs one after the other (at most <c>window</c> unfinished), the app keeping the last
/// <see cref="KeptRuns"/>. The app's own clean-up runs every <c>Retention:IntervalMinutes</c> (a minute at least, a
/// long backlog at this rate), so the soak calls the same clean-up (<see cref="HistoryPruner"/>) itself after every
/// <see cref="PruneEvery"/> finished runs, while runs keep going: runs/s is measured while a clean-up runs and while
/// none does. The database is measured right after the clean-up that follows each checkpoint (the file shrinks at
/// every clean-up, so sizes are compared at the same point of the cycle), and its largest size is kept.
/// </summary>
internal sealed partial class Scenarios
{
    public const int KeptRuns = 10_000;
    public const int PruneEvery = 10_000;

    public async Task<SoakFigures> SoakAsync(long count, IReadOnlyList<long> checkpointsAt, int window = 2048)
    {
        var pruner = app.Services.GetRequiredService<HistoryPruner>();
        var connectionString = $"Data Source={databaseFile}";
        using var db = OpenReader();
        var stopwatch = Stopwatch.StartNew();
        var checkpoints = new List<SoakCheckpoint>();
        var prunes = new List<SoakPrune>();
        long enqueued = 0, finished = 0, lastPruneAt = 0, largest = 0;
        var nextCheckpoint = 0;
        var loops = 0;
        Task pruning = Task.CompletedTask;
        var pruneTime = TimeSpan.Zero;
        long finishedWhilePruning = 0;

        while (finished < count)
        {
            finished = enqueued - CountUnfinished(db);
            if (++loops % 50 == 0)
            {
                largest = Math.Max(largest, DatabaseFile.SizeOnDisk(connectionString));
            }
            if (pruning.IsCompleted && finished - lastPruneAt >= PruneEvery)
            {
                lastPruneAt = finished;
                pruning = PruneAsync(finished, beside: true);
            }

            var room = (int)Math.Min(window - (enqueued - finished), count - enqueued);
            if (room <= 0 || room < Math.Min(64, count - enqueued))
            {
                await Task.Delay(2);
                continue;
            }
            var chunk = Math.Min(room, 256);
            var results = await Task.WhenAll(Enumerable.Range(0, chunk).Select(_ => _queue.EnqueueAsync(ownerId, OfflineWorkflow, NoInputs, CancellationToken.None)));
            if (results.FirstOrDefault(r => r.RunId is null) is { } refused)
            {
                throw new InvalidOperationException($"Enqueue refused: {string.Join("; ", refused.Errors)}");
            }
            enqueued += chunk;
        }
        await pruning;
        stopwatch.Stop();
        // the last clean-up, once every run is done, for the last checkpoint
        await PruneAsync(count, beside: false);
        var without = (count - finishedWhilePruning) / (stopwatch.Elapsed - pruneTime).TotalSeconds;
        var during = pruneTime > TimeSpan.Zero ? finishedWhilePruning / pruneTime.TotalSeconds : double.NaN;
        return new SoakFigures(checkpoints, Math.Max(largest, checkpoints.Max(c => c.DatabaseBytes + c.LogBytes)), prunes, without, during, stopwatch.Elapsed);

        // a clean-up beside the runs (one at a time: the next starts once this one is done); the runs finished meanwhile
        // are counted the way the loop counts them
        async Task PruneAsync(long finishedAtStart, bool beside)
        {
            await Task.Yield();
            var began = Stopwatch.GetTimestamp();
            var deleted = await pruner.PruneAsync(CancellationToken.None);
            var took = Stopwatch.GetElapsedTime(began);
            using var reader = OpenReader();
            if (beside)
            {
                var meanwhile = enqueued - CountUnfinished(reader) - finishedAtStart;
                prunes.Add(new SoakPrune(took, deleted, meanwhile));
                pruneTime += took;
                finishedWhilePruning += meanwhile;
            }
            if (nextCheckpoint < checkpointsAt.Count && finishedAtStart >= checkpointsAt[nextCheckpoint])
            {
                while (nextCheckpoint < checkpointsAt.Count && finishedAtStart >= checkpointsAt[nextCheckpoint])
                {
                    nextCheckpoint++;
                }
                var file = new FileInfo(databaseFile).Length;
                var log = File.Exists(databaseFile + "-wal") ? new FileInfo(databaseFile + "-wal").Length : 0;
                var checkpoint = new SoakCheckpoint(finishedAtStart, file, log, CountRuns(), Memory.ResidentMb());
                checkpoints.Add(checkpoint);
                Console.WriteLine($"  {checkpoint.Processed:N0} runs processed, after a clean-up: database {file / 1048576.0:0.0} MB, log {log / 1048576.0:0.0} MB, "
                    + $"{checkpoint.RunsStored:N0} runs stored (queued ones included), {checkpoint.ResidentMb:0} MB resident, "
                    + $"{finishedAtStart / stopwatch.Elapsed.TotalSeconds:N0} runs/s so far");
            }
        }
    }
}
