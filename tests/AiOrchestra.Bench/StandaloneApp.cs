using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AiOrchestra.Bench;

/// <summary>
/// The app alone in a process of its own (<c>dotnet AiOrchestra.Web.dll</c> from the bench's output, built with it), for
/// the idle-memory target: in the bench's own process the harness's code and buffers would be counted as the app's.
/// </summary>
internal static class StandaloneApp
{
    /// <summary>The folder of the AiOrchestra.Web.dll started: the bench's output, or a published one (<c>--app DIR</c>).</summary>
    public static string AppFolder { get; set; } = AppContext.BaseDirectory;

    /// <summary>Where the app started comes from and the GC its runtimeconfig.json sets, for the bench's header.</summary>
    public static string Describe()
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppFolder, "AiOrchestra.Web.runtimeconfig.json")));
        var server = config?["runtimeOptions"]?["configProperties"]?["System.GC.Server"]?.GetValue<bool>() ?? false;
        var folder = AppFolder.TrimEnd('/') == AppContext.BaseDirectory.TrimEnd('/') ? "the bench's build output" : AppFolder;
        return $"{folder}, {(server ? "server" : "workstation")} GC";
    }

    /// <summary>
    /// Resident memory once idle after the first start on an empty data folder, then after a restart on it, and that
    /// restart's time to a healthy /health (wall and the app's CPU time).
    /// </summary>
    public static async Task<(double FirstStart, double Restart, double RestartMs, double RestartCpuMs)> IdleResidentMbAsync(string repoRoot, TimeSpan settle)
    {
        var dataFolder = Directory.CreateTempSubdirectory("aiorchestra-bench-idle-").FullName;
        try
        {
            var signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
            var (firstStart, _) = await StartIdleStopAsync(repoRoot, dataFolder, signingKey, settle);
            var (restart, started) = await StartIdleStopAsync(repoRoot, dataFolder, signingKey, settle);
            return (firstStart, restart, started.StartMs, started.StartCpuMs);
        }
        finally
        {
            Directory.Delete(dataFolder, recursive: true);
        }
    }

    private static async Task<(double IdleMb, Running App)> StartIdleStopAsync(string repoRoot, string dataFolder, string signingKey, TimeSpan settle)
    {
        var app = await StartAsync(repoRoot, dataFolder, signingKey, []);
        try
        {
            await Task.Delay(settle);
            return (Memory.ResidentMb(app.Process.Id), app);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    /// <summary>Starts the app on <paramref name="dataFolder"/> and waits until /health answers; the time that took is <see cref="Running.StartMs"/>.</summary>
    public static async Task<Running> StartAsync(string repoRoot, string dataFolder, string signingKey, Dictionary<string, string> environment)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { Path.Combine(AppFolder, "AiOrchestra.Web.dll"), "--contentRoot", repoRoot, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }
        var databaseFile = Path.Combine(dataFolder, "app.db");
        start.Environment["ConnectionStrings__Default"] = $"Data Source={databaseFile}";
        start.Environment["DataFolder"] = dataFolder;
        start.Environment["Admin__UserName"] = AppHost.UserName;
        start.Environment["Admin__Password"] = AppHost.Password;
        start.Environment["Auth__SigningKey"] = signingKey;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var stopwatch = Stopwatch.StartNew();
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started.");
        // drain its output so a full pipe never blocks it
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}/");
        try
        {
            await WaitUntilHealthyAsync(process, new Uri(address, "/health"));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
        var startMs = stopwatch.Elapsed.TotalMilliseconds;
        process.Refresh();
        return new Running(process, address, databaseFile, startMs, process.TotalProcessorTime.TotalMilliseconds);
    }

    /// <summary>The app in its own process; <see cref="StartCpuMs"/> is its CPU time until it was healthy.</summary>
    public sealed record Running(Process Process, Uri Address, string DatabaseFile, double StartMs, double StartCpuMs)
    {
        public async Task StopAsync()
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
            Process.Dispose();
        }
    }

    private static async Task WaitUntilHealthyAsync(Process process, Uri health)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(300); // a shared, loaded machine can take minutes
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                if ((await http.GetAsync(health)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or too busy starting to answer within the probe's timeout
            }
            await Task.Delay(20);
        }
        throw new InvalidOperationException($"The app did not answer {health} within five minutes (exited: {process.HasExited}).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
