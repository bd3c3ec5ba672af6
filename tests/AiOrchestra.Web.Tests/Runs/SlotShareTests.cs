using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.Runs;

/// <summary>One owner's runs hold at most Runs:MaxShare of the slots, so another owner's runs are not starved.</summary>
public sealed class SlotShareTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task An_owner_whose_runs_hang_holds_only_its_share_and_another_owners_run_goes_through()
    {
        // no polling: the greedy owner's waiting runs must be started by the wake-up its own freed slots send
        await using var host = new StoreHost(_database, _steps, new()
        {
            ["Runs:Concurrency"] = "4", ["Runs:MaxShare"] = "0.5", ["Runs:PollSeconds"] = "3600",
        });
        var greedy = await host.CreateUserAsync("greedy");
        var other = await host.CreateUserAsync("other");
        await host.SaveAsync(greedy, FakeSteps.Workflow("hang", FakeSteps.Step("hold", "block", "held")));
        await host.SaveAsync(other, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        var hanging = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            hanging.Add(await host.EnqueueAsync(greedy, "hang"));
        }
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // without the share the greedy owner's five runs would take all four slots and this run would wait for ever
        var greeting = await host.WaitForRunAsync(other, await host.EnqueueAsync(other, "greet"));

        Assert.Equal(RunStatus.Succeeded, greeting.Run.Status);
        var statuses = await host.WithDbAsync(db => db.Runs.Where(r => r.OwnerId == greedy).Select(r => r.Status).ToListAsync());
        Assert.Equal(2, statuses.Count(s => s == RunStatus.Running));
        Assert.Equal(3, statuses.Count(s => s == RunStatus.Queued));

        _steps.Blocking = false;
        _steps.Release();
        foreach (var run in hanging)
        {
            Assert.Equal(RunStatus.Succeeded, (await host.WaitForRunAsync(greedy, run)).Run.Status);
        }
    }

    [Fact]
    public async Task Two_other_owners_runs_queued_behind_many_of_an_owner_at_its_share_both_start()
    {
        await using var host = new StoreHost(_database, _steps, new()
        {
            ["Runs:Concurrency"] = "4", ["Runs:MaxShare"] = "0.5", ["Runs:PollSeconds"] = "3600",
        });
        var greedy = await host.CreateUserAsync("greedy");
        var first = await host.CreateUserAsync("first");
        var second = await host.CreateUserAsync("second");
        await host.SaveAsync(greedy, FakeSteps.Workflow("hang", FakeSteps.Step("hold", "block", "held")));
        await host.SaveAsync(first, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        await host.SaveAsync(second, FakeSteps.Workflow("greet", FakeSteps.Step("hello", "echo", "hi")));
        var hanging = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            hanging.Add(await host.EnqueueAsync(greedy, "hang"));
        }
        await _steps.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // the claim finds them past the greedy owner's 38 queued runs, not by reading those
        var firstRun = await host.EnqueueAsync(first, "greet");
        var secondRun = await host.EnqueueAsync(second, "greet");

        Assert.Equal(RunStatus.Succeeded, (await host.WaitForRunAsync(first, firstRun)).Run.Status);
        Assert.Equal(RunStatus.Succeeded, (await host.WaitForRunAsync(second, secondRun)).Run.Status);
        var statuses = await host.WithDbAsync(db => db.Runs.Where(r => r.OwnerId == greedy).Select(r => r.Status).ToListAsync());
        Assert.Equal(2, statuses.Count(s => s == RunStatus.Running));

        _steps.Blocking = false;
        _steps.Release();
        foreach (var run in hanging)
        {
            Assert.Equal(RunStatus.Succeeded, (await host.WaitForRunAsync(greedy, run)).Run.Status);
        }
    }

    [Fact]
    public async Task A_share_of_one_lets_one_owner_use_every_slot()
    {
        await using var host = new StoreHost(_database, _steps, new() { ["Runs:Concurrency"] = "3", ["Runs:MaxShare"] = "1" });
        var owner = await host.CreateUserAsync("alone");
        await host.SaveAsync(owner, FakeSteps.Workflow("hang", FakeSteps.Step("hold", "block", "held")));
        var runs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(await host.EnqueueAsync(owner, "hang"));
        }

        await WaitUntilAsync(() => _steps.MaxRunning == 3);

        _steps.Blocking = false;
        _steps.Release();
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Succeeded, (await host.WaitForRunAsync(owner, run)).Run.Status);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
