using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiOrchestra.Web.Tests.Crash;

/// <summary>
/// The built app (AiOrchestra.Web.dll, copied next to the tests) started as a separate OS process on 127.0.0.1 with
/// a port of its own choosing, its database and data folder given. <see cref="Kill"/> is SIGKILL: no graceful stop.
/// </summary>
internal sealed class AppProcess : IDisposable
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "Admin-Pass-123";
    private const string SigningKey = "crash-test-signing-key-that-is-long-enough-for-hs256";
    private const string ListeningPrefix = "Now listening on: ";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AppProcess(Process process) => _process = process;

    public string Url { get; private set; } = "";

    /// <summary>The process's last lines of output, for a failure message.</summary>
    public string Output => string.Join("\n", _output.TakeLast(60));

    /// <summary>
    /// A new temporary folder holding <c>crash.db</c>, migrated already (a copy of the tests' migrated database): the
    /// first process started on it does not spend its start applying the migrations.
    /// </summary>
    public static string FolderWithDatabase(string prefix)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"))).FullName;
        Store.TempDatabase.CopyMigrated(Path.Combine(folder, "crash.db"));
        return folder;
    }

    public static async Task<AppProcess> StartAsync(string folder, string databaseFile, IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        var start = StartInfo(folder, databaseFile, settings, [], null);
        var app = new AppProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
        // both pipes are drained all the time: a full pipe would block the app's logging
        app._process.OutputDataReceived += (_, e) => app.Read(e.Data);
        app._process.ErrorDataReceived += (_, e) => app.Read(e.Data);
        app._process.Exited += (_, _) => app._listening.TrySetException(
            new InvalidOperationException("the app exited before it was listening:\n" + app.Output));
        app._process.Start();
        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();
        try
        {
            app.Url = (await app._listening.Task.WaitAsync(timeout)).TrimEnd('/');
            return app;
        }
        catch (TimeoutException)
        {
            app.Dispose();
            throw new TimeoutException($"the app was not listening within {timeout.TotalSeconds} s:\n{app.Output}");
        }
    }

    /// <summary>
    /// Runs the app with <paramref name="leading"/> arguments first (a command, <c>--help</c>) and the usual settings
    /// after them, with <paramref name="environment"/> variables added, until it exits by itself: its exit code and
    /// both outputs. With <paramref name="onlyLeading"/> the usual settings are not passed as arguments (a command that
    /// takes its own arguments reads its settings from <paramref name="environment"/>).
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunToExitAsync(
        string folder, string databaseFile, IReadOnlyDictionary<string, string> settings, TimeSpan timeout,
        string[]? leading = null, IReadOnlyDictionary<string, string>? environment = null, bool onlyLeading = false)
    {
        var start = StartInfo(folder, databaseFile, settings, leading ?? [], environment);
        if (onlyLeading)
        {
            while (start.ArgumentList.Count > 1 + (leading?.Length ?? 0))
            {
                start.ArgumentList.RemoveAt(start.ArgumentList.Count - 1);
            }
        }
        using var process = new Process { StartInfo = start };
        process.Start();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"the app had not exited after {timeout.TotalSeconds} s:\n{await output}\n{await error}");
        }
        return (process.ExitCode, await output, await error);
    }

    private static ProcessStartInfo StartInfo(
        string folder, string databaseFile, IReadOnlyDictionary<string, string> settings, string[] leading, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AiOrchestra.Web.dll"));
        foreach (var argument in leading)
        {
            start.ArgumentList.Add(argument);
        }
        var arguments = new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["contentRoot"] = RepositoryRoot(),
            ["environment"] = "Production",
            ["ConnectionStrings:Default"] = $"Data Source={databaseFile}",
            ["DataFolder"] = folder,
            ["Admin:UserName"] = AdminUser,
            ["Admin:Password"] = AdminPassword,
            ["Auth:SigningKey"] = SigningKey,
            ["Auth:LoginAttemptsPerMinute"] = "1000",
            // quiet, but the lifetime's "Now listening on" tells the port
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        };
        foreach (var (key, value) in settings)
        {
            arguments[key] = value;
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        if (environment?.ContainsKey("ASPNETCORE_URLS") == true)
        {
            arguments.Remove("urls"); // the command line would win over the environment's address
        }
        foreach (var (key, value) in arguments)
        {
            start.ArgumentList.Add("--" + key);
            start.ArgumentList.Add(value);
        }
        return start;
    }

    /// <summary>A client logged in through /api/auth/login as the administrator.</summary>
    public async Task<HttpClient> LoginAsync()
    {
        var client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
        var response = await client.PostAsJsonAsync("/api/auth/login", new { username = AdminUser, password = AdminPassword });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonNode.Parse(body)!["access_token"]!.GetValue<string>());
        return client;
    }

    /// <summary>SIGKILL to the app and anything it started, then waits until it is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        _process.Dispose();
    }

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 200)
        {
            _output.TryDequeue(out _);
        }
        var at = line.IndexOf(ListeningPrefix, StringComparison.Ordinal);
        if (at >= 0)
        {
            _listening.TrySetResult(line[(at + ListeningPrefix.Length)..].Trim());
        }
    }

    /// <summary>The dotnet host running these tests (the SDK names it for child processes), else the one on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "AiOrchestra.sln")))
        {
            folder = folder.Parent;
        }
        return folder?.FullName ?? throw new InvalidOperationException("AiOrchestra.sln not found above " + AppContext.BaseDirectory);
    }
}
