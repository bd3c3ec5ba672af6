using System.Net;
using System.Text.Json;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.History;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Integrations;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.History;

/// <summary>A workflow's own retention overriding the instance's, its page, and the cap on one stored output.</summary>
public sealed class WorkflowRetentionTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_workflow_keeping_fewer_days_loses_its_runs_sooner_than_the_instance_would()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        await history.AddRunAsync(RunStatus.Succeeded, TimeSpan.FromDays(5));
        var failed = await history.AddRunAsync(RunStatus.Failed, TimeSpan.FromDays(5));
        var recent = await history.AddRunAsync(RunStatus.Succeeded, TimeSpan.FromDays(1));
        await history.SetOwnRetentionAsync(days: 2, failedDays: 10);

        await history.Pruner(new RetentionOptions { Days = 30 }).PruneAsync(CancellationToken.None);

        Assert.Equal([failed, recent], await history.StoredRunIdsAsync());
    }

    [Fact]
    public async Task A_workflow_keeping_more_days_keeps_runs_the_instance_would_delete()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        var kept = await history.AddRunAsync(RunStatus.Succeeded, TimeSpan.FromDays(40));
        await history.AddRunAsync(RunStatus.Succeeded, TimeSpan.FromDays(70));
        await history.SetOwnRetentionAsync(days: 60);

        await history.Pruner(new RetentionOptions { Days = 30 }).PruneAsync(CancellationToken.None);

        Assert.Equal([kept], await history.StoredRunIdsAsync());
    }

    [Fact]
    public async Task A_workflow_keeping_its_newest_runs_loses_the_older_finished_ones_but_never_one_in_flight()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        var running = await history.AddRunAsync(RunStatus.Running, TimeSpan.FromHours(3));
        var runs = await history.AddRunsAsync(RunStatus.Succeeded, TimeSpan.FromHours(2), 700);
        await history.SetOwnRetentionAsync(maxRuns: 3);

        var deleted = await history.Pruner(new RetentionOptions()).PruneAsync(CancellationToken.None);

        Assert.Equal(697, deleted);
        Assert.Equal([running, .. runs[^3..]], await history.StoredRunIdsAsync());
    }

    [Fact]
    public async Task A_stored_output_over_the_cap_is_cut_with_a_marker_and_its_full_size_recorded()
    {
        var steps = new FakeSteps();
        await using var host = new StoreHost(_database, steps, new() { ["Retention:MaxOutputBytes"] = "1024" });
        var owner = await host.CreateUserAsync("ada");
        var big = new string('é', 3000);
        await host.SaveAsync(owner, FakeSteps.Workflow("large", FakeSteps.Step("big", "echo", big), FakeSteps.Step("small", "echo", "fine")));

        var run = await host.WaitForRunAsync(owner, await host.EnqueueAsync(owner, "large"));

        Assert.Equal(RunStatus.Succeeded, run.Run.Status);
        var stored = run.Steps.Single(s => s.StepId == "big");
        var text = JsonSerializer.Deserialize<string>(stored.Output!)!;
        Assert.StartsWith(new string('é', 100), text);
        Assert.EndsWith("only the first 1.0 KB are stored (Retention__MaxOutputBytes)]", text);
        // the full size as it would have been stored: outputs are stored unescaped, so é takes its two UTF-8 bytes
        var fullBytes = System.Text.Encoding.UTF8.GetByteCount("\"" + big + "\"");
        Assert.Contains($"({fullBytes:N0} bytes)", text);
        Assert.Equal(fullBytes, stored.OutputBytes);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(text) <= 1024);
        var small = run.Steps.Single(s => s.StepId == "small");
        Assert.Equal("\"fine\"", small.Output);
        Assert.Null(small.OutputBytes);
    }

    [Fact]
    public async Task The_page_refuses_zero_or_negative_values_and_saves_a_workflows_own_retention()
    {
        using var app = new IntegrationApp("http://127.0.0.1:9");
        using var api = await app.AdminAsync();
        var saved = await api.PostAsync("/api/workflows", Api.ApiFactory.Json("""
            { "workflow_id": "nightly", "name": "Nightly", "steps": [ { "step_id": "a", "step_type": "template", "action": "render", "parameters": { "text": "x" } } ] }
            """));
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        using var browser = await app.BrowserAsync();
        const string page = "/Settings/Retention";

        foreach (var (field, value, error) in new[]
                 {
                     ("Days", "0", "0 or a negative number is not allowed"), ("Days", "-5", "0 or a negative number is not allowed"),
                     ("MaxRuns", "0", "Runs kept must be 1 or more"), ("FailedDays", "-1", "0 or a negative number is not allowed"),
                 })
        {
            var refused = await browser.PostFormAsync(page + "?handler=Save", new() { ["WorkflowId"] = "nightly", [field] = value });
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains(error, await refused.Content.ReadAsStringAsync());
        }
        var shorter = await browser.PostFormAsync(page + "?handler=Save", new() { ["WorkflowId"] = "nightly", ["Days"] = "10", ["FailedDays"] = "5" });
        Assert.Contains("Failed runs are kept longer than the others, not shorter", await shorter.Content.ReadAsStringAsync());

        var ok = await browser.PostFormAsync(page + "?handler=Save", new() { ["WorkflowId"] = "nightly", ["Days"] = "7", ["MaxRuns"] = "50" });
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        var row = (await browser.GetDocumentAsync(page)).QuerySelector("tr[data-workflow=nightly]")!.TextContent;
        Assert.Contains("7", row);
        Assert.Contains("50", row);
    }

    [Fact]
    public async Task Alerts_older_than_the_days_kept_leave_the_history_unless_still_pending()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        var now = history.Time.GetUtcNow();
        await history.Host.WithDbAsync(async db =>
        {
            var channel = new AiOrchestra.Web.Alerts.AlertChannel { OwnerId = history.OwnerId, Name = "team", Kind = "webhook", ProtectedTarget = "x" };
            db.AlertChannels.Add(channel);
            await db.SaveChangesAsync();
            foreach (var (title, status, age) in new[] { ("old", "sent", 40), ("old pending", "pending", 40), ("recent", "failed", 5) })
            {
                db.AlertEvents.Add(new AiOrchestra.Web.Alerts.AlertEvent
                {
                    OwnerId = history.OwnerId, ChannelId = channel.Id, Kind = "firing", Title = title, Message = "m", Status = status, CreatedAt = now.AddDays(-age),
                });
            }
            return await db.SaveChangesAsync();
        });

        await history.Pruner(new RetentionOptions { Days = 30 }).PruneAsync(CancellationToken.None);

        var left = await history.Host.WithDbAsync(db => db.AlertEvents.OrderBy(e => e.Id).Select(e => e.Title).ToListAsync());
        Assert.Equal(["old pending", "recent"], left);
    }
}
