using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Store;
using AiOrchestra.Web.Triggers;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Triggers;

/// <summary>
/// The real app on a test's SQLite file with a fake clock shared across restarts (a second host on the same
/// database), the <c>fake</c> step type and any extra step types.
/// </summary>
public sealed class TriggerHost(TempDatabase database, FakeTimeProvider time, Dictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    private readonly FakeSteps _fake = new() { Blocking = false };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(StoreHost.RepositoryRoot);
        database.Configure(builder);
        foreach (var (key, value) in settings ?? [])
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton<IStepType>(_fake);
        });
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task<string> UserAsync(string name)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var existing = await users.FindByNameAsync(name);
        if (existing is not null)
        {
            return existing.Id;
        }
        var user = new AppUser { UserName = name };
        Assert.True((await users.CreateAsync(user)).Succeeded);
        return user.Id;
    }

    public async Task SaveAsync(string ownerId, string json)
    {
        var parsed = WorkflowJson.Parse(json);
        Assert.True(parsed.Succeeded, string.Join("\n", parsed.Errors));
        await using var scope = Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<WorkflowStore>().SaveAsync(ownerId, parsed.Workflow, CancellationToken.None);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
    }

    public async Task<T> WithDbAsync<T>(Func<AppDbContext, Task<T>> action)
    {
        await using var db = await Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await action(db);
    }

    /// <summary>The runs a trigger started, oldest first, with their inputs.</summary>
    public Task<List<Run>> RunsAsync(string origin) =>
        WithDbAsync(db => db.Runs.AsNoTracking().Where(r => r.Origin == origin).OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).ToListAsync());

    public Task<TriggerState> StateAsync(string workflowId, string triggerId) =>
        WithDbAsync(db => db.TriggerStates.AsNoTracking().SingleAsync(t => t.WorkflowId == workflowId && t.TriggerId == triggerId));
}
