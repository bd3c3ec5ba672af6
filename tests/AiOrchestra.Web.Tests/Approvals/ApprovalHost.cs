using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Tests.Store;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace AiOrchestra.Web.Tests.Approvals;

/// <summary>
/// The real app on a test's SQLite file with a fake clock shared across restarts (a second host on the same file),
/// the <c>fake</c> step type, and an administrator for the API.
/// </summary>
public sealed class ApprovalHost(TempDatabase database, FakeTimeProvider time, FakeSteps steps, Dictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public const string Admin = "admin";
    private const string Password = "Admin-Pass-123";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(StoreHost.RepositoryRoot);
        database.Configure(builder);
        builder.UseSetting("Admin:UserName", Admin);
        builder.UseSetting("Admin:Password", Password);
        builder.UseSetting("Auth:SigningKey", "test-signing-key-that-is-long-enough-for-hs256");
        builder.UseSetting("Auth:TokenMinutes", "43200");
        builder.UseSetting("Auth:LoginAttemptsPerMinute", "1000");
        builder.UseSetting("Runs:EventRetentionSeconds", "0");
        foreach (var (key, value) in settings ?? [])
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton<IStepType>(steps);
        });
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task<string> AdminIdAsync() =>
        await WithDbAsync(db => db.Users.Where(u => u.UserName == Admin).Select(u => u.Id).SingleAsync());

    /// <summary>A client with the bearer token of <paramref name="user"/> (created with the admin's password when new).</summary>
    public async Task<HttpClient> ApiAsync(string user = Admin)
    {
        StartServer();
        await using (var scope = Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            if (await users.FindByNameAsync(user) is null)
            {
                Assert.True((await users.CreateAsync(new AppUser { UserName = user }, Password)).Succeeded);
            }
        }
        var client = CreateClient();
        var login = await client.PostAsJsonAsync("/api/auth/login", new { username = user, password = Password });
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    public async Task SaveAsync(string ownerId, string json)
    {
        var parsed = WorkflowJson.Parse(json);
        Assert.True(parsed.Succeeded, string.Join("\n", parsed.Errors));
        await using var scope = Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<WorkflowStore>().SaveAsync(ownerId, parsed.Workflow, CancellationToken.None);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
    }

    public async Task<string> EnqueueAsync(string ownerId, string workflowId)
    {
        var result = await Get<RunQueue>().EnqueueAsync(ownerId, workflowId, new Dictionary<string, JsonNode?>(), CancellationToken.None);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.RunId!;
    }

    /// <summary>Waits until the run's event stream ends (it finished, or it waits) and returns it as stored.</summary>
    public async Task<RunDetails> SettledAsync(string ownerId, string runId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var _ in Get<RunEvents>().SubscribeAsync(ownerId, runId, 0, timeout.Token))
        {
        }
        await using var scope = Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<RunStore>().GetAsync(ownerId, runId, CancellationToken.None))!;
    }

    /// <summary>Waits until the run has <paramref name="status"/>, following its events across waits and resumes.</summary>
    public async Task<RunDetails> UntilAsync(string ownerId, string runId, RunStatus status)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var details = await SettledAsync(ownerId, runId);
            if (details.Run.Status == status)
            {
                return details;
            }
            // queued again and not started yet, or running: the next subscription follows it
            await Task.Delay(10, timeout.Token);
        }
    }

    public async Task<T> WithDbAsync<T>(Func<AppDbContext, Task<T>> action)
    {
        await using var db = await Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await action(db);
    }
}
