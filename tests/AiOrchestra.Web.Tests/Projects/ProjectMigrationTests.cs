using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Store;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Projects;

/// <summary>An upgrade: every account of a database from before projects gets its personal project, with its things in it.</summary>
// an upgrade of an SQLite file made before projects (PostgreSQL had no release before them)
[Trait("Provider", "sqlite")]
public sealed class ProjectMigrationTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeSteps _steps = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_database_from_before_projects_keeps_each_users_workflows_in_their_personal_project()
    {
        await using var host = new StoreHost(_database, _steps, new() { ["Runs:Concurrency"] = "1" });
        var ada = await host.CreateUserAsync("ada");
        await host.SaveAsync(ada, FakeSteps.Workflow("kept", FakeSteps.Step("hello", "echo", "hi")));

        // back to before projects, and forward again as an upgrade does
        await using (var db = await host.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var migrations = db.Database.GetMigrations().ToList();
            await db.GetService<IMigrator>().MigrateAsync(migrations[migrations.FindIndex(m => m.EndsWith("_Projects", StringComparison.Ordinal)) - 1]);
            Assert.Equal(0, await db.Database.SqlQuery<int>($"SELECT COUNT(*) AS Value FROM sqlite_master WHERE name = 'projects'").SingleAsync());
            await db.Database.MigrateAsync();
        }

        await using var scope = host.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var personal = await store.Projects.SingleAsync(p => p.Id == ada);
        Assert.Equal(ada, personal.PersonalUserId);
        Assert.True(personal.UsesInstanceCredentials);
        Assert.Contains(await scope.ServiceProvider.GetRequiredService<WorkflowStore>().ListAsync(ada, CancellationToken.None), w => w.WorkflowId == "kept");
        // the rebuilt runs table counts its runs again
        var triggers = await store.Database.SqlQuery<string>($"SELECT name AS Value FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'runs'").ToListAsync();
        Assert.Equal(["run_counts_delete", "run_counts_finish", "run_counts_insert", "run_counts_update"], triggers.Order());
        // and a new workflow of theirs references their project
        await host.SaveAsync(ada, FakeSteps.Workflow("after", FakeSteps.Step("hello", "echo", "hi")));
        Assert.Equal(2, await store.Workflows.CountAsync(w => w.OwnerId == ada));
        Assert.Empty(await store.Database.SqlQuery<string>($"SELECT \"table\" AS Value FROM pragma_foreign_key_check").ToListAsync());
    }
}
