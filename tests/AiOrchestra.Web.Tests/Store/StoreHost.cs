using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AiOrchestra.Web.Tests.Store;

/// <summary>
/// A temporary folder (the data folder) and one test's database: a SQLite file in the folder, or a PostgreSQL database
/// of its own when the tests run on PostgreSQL (see <see cref="TestPostgres"/>); deleted with the test.
/// </summary>
public sealed class TempDatabase : IDisposable
{
    private readonly string? _postgres;

    /// <param name="sqliteOnly">For tests of what only SQLite has: its file, backups, size on disk.</param>
    /// <param name="empty">
    /// A database with no tables yet (no SQLite file at all), for tests of start-up's migration itself; otherwise a
    /// copy of a database migrated once per test process, as a host's start-up leaves it before first-run setup.
    /// </param>
    public TempDatabase(bool sqliteOnly = false, bool empty = false)
    {
        Folder = Path.Combine(Path.GetTempPath(), "aiorchestra-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        if (!sqliteOnly && TestPostgres.Server is not null)
        {
            _postgres = TestPostgres.CreateDatabase(empty);
        }
        else if (!empty)
        {
            // applying SQLite's migrations (table rebuilds among them) took a good part of every test host's start
            CopyMigrated(Path.Combine(Folder, "test.db"));
        }
    }

    /// <summary>Copies a migrated SQLite database to <paramref name="file"/>: an app started on it skips the migrations.</summary>
    public static void CopyMigrated(string file) => File.Copy(SqliteTemplate.Value, file);

    private static readonly Lazy<string> SqliteTemplate = new(() =>
    {
        var file = Path.Combine(Path.GetTempPath(), "aiorchestra-tests", $"template-{Environment.ProcessId}-{Guid.NewGuid():N}.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        // no pooled connection: closing the last one checkpoints the write-ahead log into the file that is copied
        var options = new DbContextOptionsBuilder<AppDbContext>().UseSqlite($"Data Source={file};Pooling=False").Options;
        using (var db = new AppDbContext(options))
        {
            // what start-up does to a new file (StoreStartup), first-run setup aside
            AiOrchestra.Web.History.DatabaseFile.UseIncrementalVacuumAsync(db, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None)
                .GetAwaiter().GetResult();
            db.Database.ExecuteSqlRaw(SqlitePragmas.DatabaseSql);
            db.Database.Migrate();
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(file);
        return file;
    });

    public string Folder { get; }

    public bool Postgres => _postgres is not null;

    public string Provider => Postgres ? "postgres" : "sqlite";

    public string ConnectionString => _postgres ?? $"Data Source={Path.Combine(Folder, "test.db")}";

    /// <summary>A context of its own on this database, with no host running (the provider's options, as the app's).</summary>
    public AppDbContext OpenContext() => new(Postgres
        ? new DbContextOptionsBuilder<AppDbContext>().UseNpgsql(ConnectionString).Options
        : new DbContextOptionsBuilder<AppDbContext>().UseSqlite(ConnectionString).Options);

    /// <summary>Runs one statement of plain SQL on this database, with no host running.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var db = OpenContext();
        await db.Database.ExecuteSqlRawAsync(sql);
    }

    /// <summary>Points a host at this database: its connection string, provider and data folder.</summary>
    public void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Default", ConnectionString);
        builder.UseSetting("Database:Provider", Provider);
        builder.UseSetting("DataFolder", Folder);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_postgres is not null)
        {
            TestPostgres.DropDatabase(_postgres);
        }
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // a host still closing its file; the OS temp cleaner takes it
        }
    }
}

/// <summary>The real app (Program) on a test's own SQLite file, with fake step types and extra settings.</summary>
public sealed class StoreHost : WebApplicationFactory<Program>
{
    private readonly TempDatabase _database;
    private readonly FakeSteps _steps;
    private readonly Dictionary<string, string?> _settings;

    public StoreHost(TempDatabase database, FakeSteps steps, Dictionary<string, string?>? settings = null)
    {
        _database = database;
        _steps = steps;
        _settings = settings ?? [];
    }

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(RepositoryRoot);
        _database.Configure(builder);
        builder.UseSetting("Runs:EventRetentionSeconds", "0");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            services.AddSingleton(_steps);
            services.AddSingleton<IStepType>(_steps);
        });
    }

    /// <summary>
    /// Starts the background services (triggers, alerts, history clean-up) with the host, as the app does once it has
    /// answered a request: this host serves none, and their first pass, a second later, would meet a test's own data
    /// halfway (the history clean-up deleted runs a test then asked its own clean-up to count).
    /// </summary>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        host.Services.GetRequiredService<AiOrchestra.Web.Hosting.BackgroundStart>().Open();
        return host;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Runs <paramref name="action"/> with a scoped service (the stores are scoped, like a request's).</summary>
    public async Task<TResult> InScope<TService, TResult>(Func<TService, Task<TResult>> action) where TService : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public async Task<string> CreateUserAsync(string name)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = new AppUser { UserName = name };
        var result = await users.CreateAsync(user);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Description)));
        return user.Id;
    }

    public async Task<StoredWorkflow> SaveAsync(string ownerId, Workflow workflow)
    {
        var result = await InScope<WorkflowStore, WorkflowSaveResult>(store => store.SaveAsync(ownerId, workflow, CancellationToken.None));
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Saved!;
    }

    public async Task<string> EnqueueAsync(string ownerId, string workflowId, Dictionary<string, JsonNode?>? inputs = null)
    {
        var result = await Get<RunQueue>().EnqueueAsync(ownerId, workflowId, inputs ?? [], CancellationToken.None);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.RunId!;
    }

    public async Task<RunDetails> GetRunAsync(string ownerId, string runId) =>
        (await InScope<RunStore, RunDetails?>(store => store.GetAsync(ownerId, runId, CancellationToken.None)))!;

    /// <summary>Waits until the run is finished (the stream of its events ends) and returns it as stored.</summary>
    public async Task<RunDetails> WaitForRunAsync(string ownerId, string runId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var _ in Get<RunEvents>().SubscribeAsync(ownerId, runId, 0, timeout.Token))
        {
        }
        return await GetRunAsync(ownerId, runId);
    }

    public async Task<T> WithDbAsync<T>(Func<AppDbContext, Task<T>> action)
    {
        await using var db = await Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await action(db);
    }

    private static string FindRepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "AiOrchestra.sln")))
        {
            folder = folder.Parent;
        }
        return folder?.FullName ?? throw new InvalidOperationException("AiOrchestra.sln not found above " + AppContext.BaseDirectory);
    }
}
