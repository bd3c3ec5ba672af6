using AiOrchestra.Web.Tests.Store;
using AiOrchestra.Web.Triggers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Triggers;

public sealed class ScheduleTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private static string Workflow(string id, string trigger) => $$$"""
        {"workflow_id": "{{{id}}}", "steps": [{"step_id": "say", "step_type": "fake", "action": "echo", "parameters": {"text": "due {{trigger.due_at}} {{since}}"}}],
         "variables": {"since": "never"}, "triggers": [{{{trigger}}}]}
        """;

    private static DateTimeOffset Utc(int month, int day, int hour, int minute, int second = 0) => new(2026, month, day, hour, minute, second, TimeSpan.Zero);

    [Fact]
    public async Task A_due_time_fires_once_with_its_inputs_and_never_again_after_a_restart()
    {
        var time = new FakeTimeProvider(Utc(3, 1, 9, 59, 30));
        string owner;
        await using (var first = new TriggerHost(_database, time))
        {
            owner = await first.UserAsync("ada");
            await first.SaveAsync(owner, Workflow("tick", """{"trigger_id": "minutely", "type": "schedule", "every_seconds": 60, "variables": {"since": "boot"}}"""));
            Assert.Equal(Utc(3, 1, 10, 0), (await first.StateAsync("tick", "minutely")).NextDueAt);

            await first.Get<TriggerScheduler>().FireDueAsync(CancellationToken.None);
            Assert.Empty(await first.RunsAsync("schedule:minutely"));

            time.Advance(TimeSpan.FromSeconds(35));
            await first.Get<TriggerScheduler>().FireDueAsync(CancellationToken.None);
            await first.Get<TriggerScheduler>().FireDueAsync(CancellationToken.None);

            var run = Assert.Single(await first.RunsAsync("schedule:minutely"));
            Assert.Contains("\"since\":\"boot\"", run.Inputs);
            Assert.Contains("\"due_at\":\"2026-03-01T10:00:00Z\"", run.Inputs);
            var state = await first.StateAsync("tick", "minutely");
            Assert.Equal(Utc(3, 1, 10, 1), state.NextDueAt);
            Assert.Equal(run.Id, state.LastRunId);
        }

        await using var second = new TriggerHost(_database, time);
        await second.Get<TriggerScheduler>().FireDueAsync(CancellationToken.None);
        // even a row put back to the fired due time (a stale second process) cannot fire it again: the claim is in the database
        await second.WithDbAsync(db => db.TriggerStates.ExecuteUpdateAsync(s => s.SetProperty(t => t.NextDueAt, Utc(3, 1, 10, 0))));
        await second.Get<TriggerScheduler>().FireDueAsync(CancellationToken.None);
        Assert.Single(await second.RunsAsync("schedule:minutely"));

        time.Advance(TimeSpan.FromSeconds(60));
        await second.Get<TriggerScheduler>().FireDueAsync(CancellationToken.None);
        Assert.Equal(2, (await second.RunsAsync("schedule:minutely")).Count);
    }

    [Fact]
    public async Task Two_processes_on_one_database_fire_a_due_time_once()
    {
        var time = new FakeTimeProvider(Utc(3, 1, 9, 59, 30));
        await using var first = new TriggerHost(_database, time);
        var owner = await first.UserAsync("ada");
        await first.SaveAsync(owner, Workflow("tick", """{"trigger_id": "minutely", "type": "schedule", "every_seconds": 60}"""));
        await using var second = new TriggerHost(_database, time);
        second.CreateClient().Dispose();

        time.Advance(TimeSpan.FromSeconds(35));
        // both schedulers see the same due time at once, several times over
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? first : second).Get<TriggerScheduler>().FireDueAsync(CancellationToken.None)));

        var run = Assert.Single(await first.RunsAsync("schedule:minutely"));
        Assert.Contains("\"due_at\":\"2026-03-01T10:00:00Z\"", run.Inputs);
    }

    [Fact]
    public async Task Due_times_missed_while_stopped_are_skipped_or_run_once_as_the_trigger_says_and_recorded()
    {
        var time = new FakeTimeProvider(Utc(3, 1, 8, 30));
        await using (var first = new TriggerHost(_database, time))
        {
            var owner = await first.UserAsync("ada");
            await first.SaveAsync(owner, Workflow("skipper", """{"trigger_id": "hourly_skip", "type": "schedule", "cron": "0 * * * *"}"""));
            await first.SaveAsync(owner, Workflow("catcher", """{"trigger_id": "hourly_once", "type": "schedule", "cron": "0 * * * *", "missed": "run_once"}"""));
        }

        // stopped from 08:30 to 11:20: 09:00, 10:00 and 11:00 passed
        time.Advance(TimeSpan.FromMinutes(170));
        await using var second = new TriggerHost(_database, time);
        await second.Get<TriggerScheduler>().FireDueAsync(CancellationToken.None);

        Assert.Empty(await second.RunsAsync("schedule:hourly_skip"));
        var skipped = await second.StateAsync("skipper", "hourly_skip");
        Assert.Equal("3 due time(s) from 2026-03-01T09:00:00Z passed while the app was stopped and were skipped (missed: skip)", skipped.LastError);
        Assert.Equal(Utc(3, 1, 12, 0), skipped.NextDueAt);

        var run = Assert.Single(await second.RunsAsync("schedule:hourly_once"));
        Assert.Contains("\"due_at\":\"2026-03-01T11:00:00Z\"", run.Inputs);
        Assert.Equal(Utc(3, 1, 12, 0), (await second.StateAsync("catcher", "hourly_once")).NextDueAt);
    }

    [Fact]
    public async Task A_cron_in_a_named_time_zone_fires_once_a_day_across_daylight_saving_changes()
    {
        var time = new FakeTimeProvider(Utc(3, 28, 12, 0));
        await using var host = new TriggerHost(_database, time);
        var owner = await host.UserAsync("ada");
        await host.SaveAsync(owner, Workflow("nightly", """{"trigger_id": "berlin", "type": "schedule", "cron": "30 2 * * *", "time_zone": "Europe/Berlin"}"""));
        var scheduler = host.Get<TriggerScheduler>();

        // 02:30 does not exist in Berlin on 2026-03-29 (clocks jump 02:00 -> 03:00): it fires at 03:00 local, 01:00 UTC
        Assert.Equal(Utc(3, 29, 1, 0), (await host.StateAsync("nightly", "berlin")).NextDueAt);
        time.SetUtcNow(Utc(3, 29, 0, 59, 59));
        await scheduler.FireDueAsync(CancellationToken.None);
        Assert.Empty(await host.RunsAsync("schedule:berlin"));
        time.SetUtcNow(Utc(3, 29, 1, 0, 0));
        await scheduler.FireDueAsync(CancellationToken.None);
        Assert.Single(await host.RunsAsync("schedule:berlin"));

        // the next day 02:30 CEST is 00:30 UTC
        Assert.Equal(Utc(3, 30, 0, 30), (await host.StateAsync("nightly", "berlin")).NextDueAt);
        time.SetUtcNow(Utc(3, 30, 0, 30, 0));
        await scheduler.FireDueAsync(CancellationToken.None);
        var runs = await host.RunsAsync("schedule:berlin");
        Assert.Equal(2, runs.Count);
        Assert.Contains("\"due_at\":\"2026-03-30T00:30:00Z\"", runs[1].Inputs);
    }

    [Fact]
    public async Task A_disabled_schedule_has_no_due_time_and_enabling_it_counts_from_then()
    {
        var time = new FakeTimeProvider(Utc(3, 1, 8, 30));
        await using var host = new TriggerHost(_database, time);
        var owner = await host.UserAsync("ada");
        await host.SaveAsync(owner, Workflow("off", """{"trigger_id": "hourly", "type": "schedule", "cron": "0 * * * *", "enabled": false}"""));

        Assert.Null((await host.StateAsync("off", "hourly")).NextDueAt);
        time.Advance(TimeSpan.FromHours(3));
        await host.SaveAsync(owner, Workflow("off", """{"trigger_id": "hourly", "type": "schedule", "cron": "0 * * * *"}"""));
        await host.Get<TriggerScheduler>().FireDueAsync(CancellationToken.None);

        Assert.Empty(await host.RunsAsync("schedule:hourly"));
        Assert.Equal(Utc(3, 1, 12, 0), (await host.StateAsync("off", "hourly")).NextDueAt);
    }

    [Fact]
    public async Task A_due_time_claimed_by_a_process_that_stopped_before_queueing_is_reported_not_fired_twice()
    {
        var time = new FakeTimeProvider(Utc(3, 1, 9, 59, 30));
        await using (var first = new TriggerHost(_database, time))
        {
            await first.SaveAsync(await first.UserAsync("ada"), Workflow("tick", """{"trigger_id": "minutely", "type": "schedule", "every_seconds": 60}"""));
            // what a process leaves when it stops between claiming 10:00 and queueing its run
            var state = await first.StateAsync("tick", "minutely");
            await first.WithDbAsync(db =>
            {
                db.TriggerFirings.Add(new TriggerFiring { TriggerStateId = state.Id, Key = "due:2026-03-01T10:00:00Z", CreatedAt = time.GetUtcNow() });
                return db.SaveChangesAsync();
            });
        }

        time.Advance(TimeSpan.FromSeconds(35));
        await using var second = new TriggerHost(_database, time);
        await second.Get<TriggerScheduler>().FireDueAsync(CancellationToken.None);

        Assert.Empty(await second.RunsAsync("schedule:minutely"));
        Assert.StartsWith("the run due at 2026-03-01T10:00:00Z was claimed but not queued", (await second.StateAsync("tick", "minutely")).LastError);
    }
}
