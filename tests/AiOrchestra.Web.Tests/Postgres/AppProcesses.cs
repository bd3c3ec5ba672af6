using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Store;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// The app as it ships (<c>dotnet AiOrchestra.Web.dll</c>, built beside the tests) in several processes of its own on
/// one PostgreSQL database, each on its own loopback port and data folder. Every process started here is killed when
/// this is disposed, and when the test process exits, so a failing test leaves none behind.
/// </summary>
public sealed class AppProcesses : IAsyncDisposable
{
    /// <summary>The test classes that start app processes run one after another: each starts three on a machine of two cores.</summary>
    public const string Collection = "app processes";

    public const string UserName = "admin";
    public const string Password = "Multi-process-admin-1";

    private static readonly ConcurrentDictionary<int, Process> Started = new();

    static AppProcesses()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Started.Values)
            {
                Kill(process);
            }
        };
    }

    private readonly TempDatabase _database;
    private readonly Dictionary<string, string> _settings;
    private readonly List<App> _apps = [];

    private AppProcesses(Dictionary<string, string> settings, TempDatabase database, string connectionString)
    {
        _settings = settings;
        _database = database;
        ConnectionString = connectionString;
    }

    public IReadOnlyList<App> Apps => _apps;

    public string ConnectionString { get; }

    /// <summary>Starts <paramref name="count"/> processes on a new database (the first alone, so it migrates and creates the administrator).</summary>
    public static Task<AppProcesses> StartAsync(int count, Dictionary<string, string> settings)
    {
        var database = new TempDatabase();
        return StartAsync(count, settings, database, database.ConnectionString);
    }

    /// <summary>Starts <paramref name="count"/> processes on the database of <paramref name="connectionString"/> (a server of the test's own).</summary>
    public static Task<AppProcesses> StartOnAsync(string connectionString, int count, Dictionary<string, string> settings) =>
        StartAsync(count, settings, new TempDatabase(sqliteOnly: true), connectionString);

    private static async Task<AppProcesses> StartAsync(int count, Dictionary<string, string> settings, TempDatabase database, string connectionString)
    {
        var processes = new AppProcesses(settings, database, connectionString);
        try
        {
            await processes.AddAsync();
            await Task.WhenAll(Enumerable.Range(1, count - 1).Select(_ => processes.AddAsync()));
            return processes;
        }
        catch
        {
            await processes.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more process on the database (with settings of its own over the shared ones) and waits for its /health.</summary>
    public async Task<App> AddAsync(Dictionary<string, string>? own = null)
    {
        var port = FreePort();
        var dataFolder = Path.Combine(_database.Folder, $"app-{port}");
        Directory.CreateDirectory(dataFolder);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = StoreHost.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "AiOrchestra.Web.dll"), "--contentRoot", StoreHost.RepositoryRoot, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["Database__Provider"] = "postgres";
        start.Environment["ConnectionStrings__Default"] = ConnectionString;
        start.Environment["DataFolder"] = dataFolder;
        start.Environment["Admin__UserName"] = UserName;
        start.Environment["Admin__Password"] = Password;
        start.Environment["DOTNET_USE_POLLING_FILE_WATCHER"] = "true";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in own is null ? _settings : _settings.Concat(own))
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started.");
        Started[process.Id] = process;
        var app = new App(process, new Uri($"http://127.0.0.1:{port}/"));
        lock (_apps)
        {
            _apps.Add(app);
        }
        await app.WaitUntilHealthyAsync();
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
        _database.Dispose();
    }

    /// <summary>
    /// Terminates the sessions named <paramref name="applicationName"/> (a process's LISTEN session), and each new one
    /// it opens, until stopped; <paramref name="firstCut"/> completes once one was terminated.
    /// </summary>
    public static async Task CutSessionsAsync(string connectionString, string applicationName, TaskCompletionSource firstCut, CancellationToken stop)
    {
        await using var admin = new Npgsql.NpgsqlConnection(connectionString);
        await admin.OpenAsync(CancellationToken.None);
        await using var terminate = new Npgsql.NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @name", admin);
        terminate.Parameters.AddWithValue("name", applicationName);
        while (!stop.IsCancellationRequested)
        {
            if ((long)(await terminate.ExecuteScalarAsync(CancellationToken.None))! > 0)
            {
                firstCut.TrySetResult();
            }
            try
            {
                await Task.Delay(20, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The process that holds the run's lease (its worker name is in its /health).</summary>
    public static async Task<App> RunnerAsync(IReadOnlyList<App> apps, string connectionString, string runId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT lease_owner FROM runs WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", runId);
        var owner = (string?)await command.ExecuteScalarAsync();
        foreach (var app in apps)
        {
            var queue = JsonNode.Parse(await app.Http.GetStringAsync("/health"))!["queue"]!;
            if ((string?)queue["worker"] == owner)
            {
                return app;
            }
        }
        throw new InvalidOperationException($"no process holds run {runId} (lease owner: {owner})");
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // gone already
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One app process: its address, its output (for a failing test's message), a logged-in API client.</summary>
    public sealed class App : IAsyncDisposable
    {
        private readonly StringBuilder _output = new();

        public App(Process process, Uri address)
        {
            Process = process;
            Address = address;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        }

        public Process Process { get; }

        public Uri Address { get; }

        /// <summary>A client of this process (log in with <see cref="LogInAsync"/>, or use another process's token).</summary>
        public HttpClient Http { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_output)
            {
                if (_output.Length < 200_000)
                {
                    _output.AppendLine(line);
                }
            }
        }

        public async Task WaitUntilHealthyAsync()
        {
            var deadline = DateTime.UtcNow.AddMinutes(3); // a shared, loaded machine starts slowly
            while (DateTime.UtcNow < deadline && !Process.HasExited)
            {
                try
                {
                    using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    if ((await Http.GetAsync("/health", probe.Token)).IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // not listening yet
                }
                await Task.Delay(100);
            }
            throw new InvalidOperationException($"The app at {Address} did not become healthy (exited: {Process.HasExited}):\n{Output}");
        }

        /// <summary>Logs in as the administrator: the token is good on every process (the signing key is shared through the database).</summary>
        public async Task<string> LogInAsync()
        {
            using var response = await Http.PostAsJsonAsync("/api/auth/login", new { username = UserName, password = Password });
            Assert.True(response.IsSuccessStatusCode, $"login at {Address}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var token = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!;
            UseToken(token);
            return token;
        }

        public void UseToken(string token) => Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        /// <summary>
        /// The process has its LISTEN session named <paramref name="name"/> (after its process id; by default the one for
        /// other processes' live events).
        /// </summary>
        public async Task<bool> ListeningAsync(string connectionString, string? name = null)
        {
            await using var admin = new Npgsql.NpgsqlConnection(connectionString);
            await admin.OpenAsync();
            await using var count = new Npgsql.NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = @name AND query ILIKE 'LISTEN%'", admin);
            count.Parameters.AddWithValue("name", name ?? AiOrchestra.Web.Data.Postgres.RunEventRelay.ListenerName(Process.Id));
            return (long)(await count.ExecuteScalarAsync())! > 0;
        }

        /// <summary>SIGKILL: the process gets no chance to hand anything back.</summary>
        public async Task KillAsync()
        {
            AppProcesses.Kill(Process);
            await Process.WaitForExitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await KillAsync();
            Started.TryRemove(Process.Id, out _);
            Http.Dispose();
            Process.Dispose();
        }
    }
}
