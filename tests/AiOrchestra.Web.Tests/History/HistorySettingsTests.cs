using System.Net;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Dashboard;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.History;

/// <summary>Settings tells how big the history is: the database's size, the runs stored and the oldest run.</summary>
public sealed class HistorySettingsTests
{
    [Fact]
    public async Task Settings_shows_the_database_size_the_runs_stored_and_the_oldest_run()
    {
        await using var host = new DashboardHost();
        var owner = await host.CreateUserAsync("admin");
        var client = await host.SignedInAsync("admin");
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostFormAsync("/Workflows/Edit", new()
        {
            ["Form.WorkflowId"] = "kept", ["Form.Name"] = "Kept", ["Form.Steps[0].StepId"] = "greet", ["Form.Steps[0].StepType"] = "template",
            ["Form.Steps[0].Action"] = "render", ["Form.Steps[0].Parameters[text]"] = "Hi", ["Command"] = "save",
        })).StatusCode);
        for (var i = 0; i < 2; i++)
        {
            var run = await client.PostFormAsync("/Execute?workflow=kept", [], "/Execute?workflow=kept");
            await client.GetStringAsync(run.Headers.Location!.OriginalString.Replace("/Logs/", "/runs/") + "/live");
        }
        // and one from ten days ago, stored as a finished run is
        var oldest = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-10).ToUnixTimeSeconds() / 60 * 60);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var version = await db.WorkflowVersions.Include(v => v.Record).SingleAsync(v => v.Record!.OwnerId == owner);
            db.Runs.Add(new Run
            {
                Id = Guid.CreateVersion7(oldest).ToString(), OwnerId = owner, WorkflowRecordId = version.WorkflowRecordId,
                WorkflowVersionId = version.Id, WorkflowId = "kept", WorkflowVersionNumber = version.Number, Status = RunStatus.Failed,
                Inputs = "{}", CreatedAt = oldest, StartedAt = oldest, FinishedAt = oldest,
            });
            await db.SaveChangesAsync();
        }

        var page = await client.GetDocumentAsync("/Settings");

        Assert.Equal("3", page.QuerySelector("[data-field=runs]")!.TextContent);
        Assert.Equal(oldest.ToString("yyyy-MM-dd HH:mm 'UTC'"), page.QuerySelector("[data-field=oldest]")!.TextContent);
        Assert.Matches(@"\A\d+(\.\d)? (KB|MB)\z", page.QuerySelector("[data-field=size]")!.TextContent);
    }
}
