using System.Text.Json.Nodes;
using AiOrchestra.Web.Alerts;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Integrations;
using AiOrchestra.Web.Tests.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Alerts;

/// <summary>Rules against real runs, delivered to a local webhook receiver and SMTP sink started by each test.</summary>
public sealed class AlertTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private StoreHost Host(FakeSteps steps, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Outbound:Allow"] = "127.0.0.1", ["Alerts:RetrySeconds"] = "0" };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }
        return new StoreHost(_database, steps, all);
    }

    private static async Task<long> AddRuleAsync(StoreHost host, string owner, string channelKind, string target, string ruleKind, string? workflowId, int threshold = 0)
    {
        var sender = host.Get<AlertSender>();
        var rule = await host.WithDbAsync(async db =>
        {
            var channel = new AlertChannel { OwnerId = owner, Name = "on-call", Kind = channelKind, ProtectedTarget = sender.Protect(target) };
            db.AlertChannels.Add(channel);
            await db.SaveChangesAsync();
            var rule = new AlertRule { OwnerId = owner, ChannelId = channel.Id, Kind = ruleKind, WorkflowId = workflowId, Threshold = threshold };
            db.AlertRules.Add(rule);
            await db.SaveChangesAsync();
            return rule;
        });
        await host.Get<AlertSignals>().ReloadAsync(CancellationToken.None);
        return rule.ChannelId;
    }

    /// <summary>Waits until <paramref name="count"/> alerts are no longer pending (sent, failed or suppressed), then returns all, oldest first.</summary>
    private static async Task<List<AlertEvent>> WaitForAlertsAsync(StoreHost host, int count)
    {
        List<AlertEvent> alerts = [];
        for (var i = 0; i < 300; i++)
        {
            alerts = await host.WithDbAsync(db => db.AlertEvents.AsNoTracking().OrderBy(e => e.Id).ToListAsync());
            if (alerts.Count(a => a.Status != AlertEventStatus.Pending) >= count)
            {
                return alerts;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"expected {count} delivered alert(s), found: {string.Join("; ", alerts.Select(a => $"{a.Kind} {a.Status} {a.LastError}"))}");
        return alerts;
    }

    private static async Task<string> RunAsync(StoreHost host, string owner, string workflowId) =>
        (await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, workflowId))).Run.Id;

    [Fact]
    public async Task A_failed_run_alerts_once_on_a_slack_webhook_however_often_it_fails_and_its_recovery_is_announced()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => context.Response.WriteAsync("ok"));
        await using var host = Host(new FakeSteps());
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("nightly", FakeSteps.Step("build", "fail", "the build broke")));
        await AddRuleAsync(host, owner, AlertChannelKinds.Slack, receiver.Url + "/slack", AlertRuleKinds.RunFailed, "nightly");

        var first = await RunAsync(host, owner, "nightly");
        await RunAsync(host, owner, "nightly");
        await host.SaveAsync(owner, FakeSteps.Workflow("nightly", FakeSteps.Step("build", "echo", "fixed")));
        await RunAsync(host, owner, "nightly");

        var alerts = await WaitForAlertsAsync(host, 2);
        Assert.Equal(["firing", "resolved"], alerts.Select(a => a.Kind));
        Assert.Equal(first, alerts[0].RunId);
        Assert.All(alerts, a => Assert.Equal(AlertEventStatus.Sent, a.Status));
        Assert.Equal(2, receiver.Received.Count);
        var firing = JsonNode.Parse(receiver.Received[0].Body)!;
        Assert.Contains("*Run failed: nightly*", (string?)firing["text"]);
        Assert.Contains("the build broke", (string?)firing["text"]);
        Assert.Contains($"/Logs/{first}", (string?)firing["text"]);
        Assert.Contains("Recovered: nightly", (string?)JsonNode.Parse(receiver.Received[1].Body)!["text"]);
    }

    [Fact]
    public async Task Failures_in_a_row_alert_on_the_nth_failure_with_a_generic_json_body()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => context.Response.WriteAsync("ok"));
        await using var host = Host(new FakeSteps());
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("sync", FakeSteps.Step("pull", "fail", "remote down")));
        await AddRuleAsync(host, owner, AlertChannelKinds.Webhook, receiver.Url + "/hook", AlertRuleKinds.FailuresInRow, null, threshold: 2);

        await RunAsync(host, owner, "sync");
        var second = await RunAsync(host, owner, "sync");

        var alert = Assert.Single(await WaitForAlertsAsync(host, 1));
        Assert.Equal(second, alert.RunId);
        var body = JsonNode.Parse(Assert.Single(receiver.Received).Body)!;
        Assert.Equal("firing", (string?)body["event"]);
        Assert.Equal("2 failures in a row: sync", (string?)body["title"]);
        Assert.Equal("sync", (string?)body["workflow_id"]);
        Assert.Equal(second, (string?)body["run_id"]);
    }

    [Fact]
    public async Task A_slow_run_alerts_and_a_fast_one_recovers()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => context.Response.WriteAsync("ok"));
        await using var host = Host(new FakeSteps());
        var owner = await host.CreateUserAsync("ada");
        await AddRuleAsync(host, owner, AlertChannelKinds.Webhook, receiver.Url, AlertRuleKinds.SlowRun, "report", threshold: 60);
        var watch = host.Get<AlertWatch>();

        await watch.HandleAsync(new AlertSignal(owner, "report", "run-1", RunStatus.Succeeded, TimeSpan.FromSeconds(30), null, false, null), default);
        await watch.HandleAsync(new AlertSignal(owner, "report", "run-2", RunStatus.Succeeded, TimeSpan.FromSeconds(90), null, false, null), default);
        await watch.HandleAsync(new AlertSignal(owner, "report", "run-3", RunStatus.Succeeded, TimeSpan.FromSeconds(95), null, false, null), default);
        await watch.HandleAsync(new AlertSignal(owner, "report", "run-4", RunStatus.Succeeded, TimeSpan.FromSeconds(10), null, false, null), default);

        var alerts = await WaitForAlertsAsync(host, 2);
        Assert.Equal([("firing", "run-2"), ("resolved", "run-4")], alerts.Select(a => (a.Kind, a.RunId)));
        Assert.Equal("A run of 'report' took 90 s, more than 60 s.", alerts[0].Message);
    }

    [Fact]
    public async Task A_failing_trigger_alerts_once_and_recovers_when_it_fires_again()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => context.Response.WriteAsync("ok"));
        await using var host = Host(new FakeSteps());
        var owner = await host.CreateUserAsync("ada");
        await AddRuleAsync(host, owner, AlertChannelKinds.Webhook, receiver.Url, AlertRuleKinds.TriggerFailing, null);
        var signals = host.Get<AlertSignals>();

        signals.TriggerFired(owner, "inbox", "new_mail", ok: false, "poll failed: the source did not answer within 60 seconds");
        signals.TriggerFired(owner, "inbox", "new_mail", ok: false, "poll failed: again");
        signals.TriggerFired(owner, "inbox", "new_mail", ok: true);

        var alerts = await WaitForAlertsAsync(host, 2);
        Assert.Equal(["firing", "resolved"], alerts.Select(a => a.Kind));
        Assert.Equal("Trigger failing: inbox/new_mail", alerts[0].Title);
        Assert.Contains("did not answer within 60 seconds", alerts[0].Message);
    }

    [Fact]
    public async Task A_run_waiting_in_the_queue_longer_than_the_limit_alerts_and_the_emptied_queue_recovers()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => context.Response.WriteAsync("ok"));
        var steps = new FakeSteps();
        await using var host = Host(steps, new() { ["Runs:Concurrency"] = "1" });
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("busy", FakeSteps.Step("hold", "block", "done")));
        await AddRuleAsync(host, owner, AlertChannelKinds.Webhook, receiver.Url, AlertRuleKinds.QueueAge, null, threshold: 600);
        var first = await host.EnqueueAsync(owner, "busy");
        await steps.Entered.Task;
        var waiting = await host.EnqueueAsync(owner, "busy");
        // the same watch on a clock an hour ahead: the queued run has waited an hour
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1));
        var watch = new AlertWatch(host.Get<AlertSignals>(), host.Get<IDbContextFactory<AppDbContext>>(), host.Get<AlertDelivery>(),
            host.Get<AlertRateLimit>(), host.Get<IOptions<AlertOptions>>(), clock, NullLogger<AlertWatch>.Instance);

        await watch.CheckQueuesAsync(default);
        await watch.CheckQueuesAsync(default);
        steps.Blocking = false;
        steps.Release();
        await host.WaitForRunAsync(owner, first);
        await host.WaitForRunAsync(owner, waiting);
        await watch.CheckQueuesAsync(default);

        // written for delivery at the watch's (future) time: read as written
        var alerts = await host.WithDbAsync(db => db.AlertEvents.AsNoTracking().OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(["firing", "resolved"], alerts.Select(a => a.Kind));
        Assert.StartsWith("The oldest queued run in your queue has waited 36", alerts[0].Message);
    }

    [Fact]
    public async Task A_storm_of_failures_is_rate_limited_per_channel_and_the_rest_recorded_as_suppressed()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => context.Response.WriteAsync("ok"));
        await using var host = Host(new FakeSteps(), new() { ["Alerts:MaxPerChannelPerMinute"] = "2" });
        var owner = await host.CreateUserAsync("ada");
        await AddRuleAsync(host, owner, AlertChannelKinds.Webhook, receiver.Url, AlertRuleKinds.RunFailed, null);
        var watch = host.Get<AlertWatch>();

        for (var i = 0; i < 5; i++)
        {
            await watch.HandleAsync(new AlertSignal(owner, $"workflow-{i}", $"run-{i}", RunStatus.Failed, TimeSpan.Zero, null, false, "boom"), default);
        }

        var alerts = await WaitForAlertsAsync(host, 5);
        Assert.Equal(2, alerts.Count(a => a.Status == AlertEventStatus.Sent));
        Assert.Equal(3, alerts.Count(a => a.Status == AlertEventStatus.Suppressed));
        Assert.Contains("Alerts__MaxPerChannelPerMinute", alerts.Last().LastError);
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task A_channel_answering_500_is_retried_then_recorded_as_failed_and_the_run_is_not_held_up()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => FakeServer.Text(context, 500, "down"));
        await using var host = Host(new FakeSteps(), new() { ["Alerts:MaxAttempts"] = "3" });
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("nightly", FakeSteps.Step("build", "fail", "broke")));
        await AddRuleAsync(host, owner, AlertChannelKinds.Webhook, receiver.Url, AlertRuleKinds.RunFailed, "nightly");

        var run = await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, "nightly"));
        Assert.Equal(RunStatus.Failed, run.Run.Status);

        var alert = Assert.Single(await WaitForAlertsAsync(host, 1));
        Assert.Equal(AlertEventStatus.Failed, alert.Status);
        Assert.Equal(3, alert.Attempts);
        Assert.Contains("answered 500", alert.LastError);
        Assert.Equal(3, receiver.Received.Count);
    }

    [Fact]
    public async Task A_failing_channel_is_tried_again_after_a_delay_that_doubles_until_the_attempts_run_out()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => FakeServer.Text(context, 500, "down"));
        await using var host = Host(new FakeSteps(), new() { ["Alerts:MaxAttempts"] = "3", ["Alerts:RetrySeconds"] = "30" });
        var owner = await host.CreateUserAsync("ada");
        var channel = await AddRuleAsync(host, owner, AlertChannelKinds.Webhook, receiver.Url, AlertRuleKinds.RunFailed, null);
        // an alert due an hour from now: the app's own delivery (on the real clock) leaves it to this one's clock,
        // which starts on a whole millisecond (times are stored in milliseconds)
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds()));
        var delivery = new AlertDelivery(host.Get<IDbContextFactory<AppDbContext>>(), host.Get<AlertSender>(), host.Get<IOptions<AlertOptions>>(),
            clock, NullLogger<AlertDelivery>.Instance);
        var id = await host.WithDbAsync(async db =>
        {
            var alert = new AlertEvent
            {
                OwnerId = owner, ChannelId = channel, Kind = "firing", Title = "Run failed: nightly", Message = "boom",
                Status = AlertEventStatus.Pending, CreatedAt = clock.GetUtcNow(), NextAttemptAt = clock.GetUtcNow(),
            };
            db.AlertEvents.Add(alert);
            await db.SaveChangesAsync();
            return alert.Id;
        });
        Task<AlertEvent> ReadAsync() => host.WithDbAsync(db => db.AlertEvents.AsNoTracking().SingleAsync(e => e.Id == id));

        Assert.Equal(1, await delivery.DeliverDueAsync(default));
        var first = await ReadAsync();
        Assert.Equal((AlertEventStatus.Pending, 1), (first.Status, first.Attempts));
        Assert.Equal(clock.GetUtcNow().AddSeconds(30), first.NextAttemptAt);
        Assert.Contains("answered 500", first.LastError);

        // not before its time; then again, and the next wait is twice as long
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, await delivery.DeliverDueAsync(default));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await delivery.DeliverDueAsync(default));
        Assert.Equal(clock.GetUtcNow().AddSeconds(60), (await ReadAsync()).NextAttemptAt);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await delivery.DeliverDueAsync(default));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await delivery.DeliverDueAsync(default));

        // the attempts are used up: recorded as failed, tried no more
        var last = await ReadAsync();
        Assert.Equal((AlertEventStatus.Failed, 3, (DateTimeOffset?)null), (last.Status, last.Attempts, last.NextAttemptAt));
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await delivery.DeliverDueAsync(default));
        Assert.Equal(3, receiver.Received.Count);
    }

    [Fact]
    public async Task A_channel_that_never_answers_times_out_and_is_recorded()
    {
        await using var receiver = await FakeServer.StartAsync((_, context) => Task.Delay(Timeout.Infinite, context.RequestAborted));
        await using var host = Host(new FakeSteps(), new() { ["Alerts:MaxAttempts"] = "1", ["Alerts:TimeoutSeconds"] = "1" });
        var owner = await host.CreateUserAsync("ada");
        await AddRuleAsync(host, owner, AlertChannelKinds.Slack, receiver.Url, AlertRuleKinds.RunFailed, null);

        await host.Get<AlertWatch>().HandleAsync(new AlertSignal(owner, "nightly", "run-1", RunStatus.Failed, TimeSpan.Zero, null, false, "boom"), default);

        var alert = Assert.Single(await WaitForAlertsAsync(host, 1));
        Assert.Equal(AlertEventStatus.Failed, alert.Status);
        Assert.Equal("no answer within 1 s (Alerts__TimeoutSeconds)", alert.LastError);
    }

    [Fact]
    public async Task An_email_channel_sends_through_the_configured_smtp_server()
    {
        await using var sink = new SmtpSink();
        await using var host = Host(new FakeSteps(), new()
        {
            ["Alerts:Smtp:Host"] = "127.0.0.1", ["Alerts:Smtp:Port"] = sink.Port.ToString(), ["Alerts:Smtp:Security"] = "none",
            ["Alerts:Smtp:From"] = "Orchestra <orchestra@example.test>", ["Alerts:BaseUrl"] = "https://orchestra.example.test/",
        });
        var owner = await host.CreateUserAsync("ada");
        await host.SaveAsync(owner, FakeSteps.Workflow("nightly", FakeSteps.Step("build", "fail", "the build broke")));
        await AddRuleAsync(host, owner, AlertChannelKinds.Email, "ops@example.test, lead@example.test", AlertRuleKinds.RunFailed, "nightly");

        var run = await RunAsync(host, owner, "nightly");

        var alert = Assert.Single(await WaitForAlertsAsync(host, 1));
        Assert.Equal(AlertEventStatus.Sent, alert.Status);
        var mail = Assert.Single(sink.Messages);
        Assert.Contains("Subject: [AI Orchestra] Run failed: nightly", mail);
        Assert.Contains("ops@example.test", mail);
        Assert.Contains("lead@example.test", mail);
        Assert.Contains("the build broke", mail);
        Assert.Contains($"https://orchestra.example.test/Logs/{run}", mail);
    }
}
