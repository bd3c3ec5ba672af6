using System.Diagnostics;
using System.Reflection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;

namespace AiOrchestra.Bench;

/// <summary>
/// The app as it ships: the Web project's own entry point (its Program.cs) started on a thread of its own with
/// command-line arguments, a temporary data folder and the repository as content root. The host it builds is caught
/// through the hosting diagnostic event, the same way WebApplicationFactory finds it, so the bench reaches its services.
/// </summary>
internal sealed class AppHost : IAsyncDisposable
{
    public const string UserName = "bench";
    public const string Password = "Bench-Passw0rd!";

    private readonly Thread _thread;
    private readonly string _dataFolder;

    private AppHost(IHost host, Thread thread, string dataFolder, Uri address)
    {
        Host = host;
        _thread = thread;
        _dataFolder = dataFolder;
        Address = address;
    }

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    public Uri Address { get; }

    /// <summary>Starts the app; <paramref name="settings"/> are more command-line arguments (<c>--Retention:MaxRuns</c>, <c>10000</c>).</summary>
    public static async Task<AppHost> StartAsync(string repoRoot, params string[] settings)
    {
        var dataFolder = Directory.CreateTempSubdirectory("aiorchestra-bench-").FullName;
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--contentRoot", repoRoot,
            // the entry assembly is the bench's: name the app so Razor Pages finds its compiled pages
            "--applicationName", typeof(Web.Runs.RunQueue).Assembly.GetName().Name!,
            "--ConnectionStrings:Default", $"Data Source={Path.Combine(dataFolder, "bench.db")}",
            "--DataFolder", dataFolder,
            "--Admin:UserName", UserName,
            "--Admin:Password", Password,
            // the http steps call the local stub server: loopback is refused unless allow-listed
            "--Outbound:Allow", "127.0.0.1",
            // a key of our own: the generated one would be written into the repository's data/ folder
            "--Auth:SigningKey", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
            .. settings,
        ];

        var entryPoint = typeof(Web.Runs.RunQueue).Assembly.EntryPoint
            ?? throw new InvalidOperationException("The Web project has no entry point.");
        var capture = new HostCapture();
        using var subscription = DiagnosticListener.AllListeners.Subscribe(capture);
        var thread = new Thread(() =>
        {
            try
            {
                entryPoint.Invoke(null, [args]);
                capture.Exited.TrySetResult();
            }
            catch (TargetInvocationException e)
            {
                capture.Exited.TrySetException(e.InnerException ?? e);
            }
        })
        { Name = "app entry point", IsBackground = true };
        thread.Start();

        var built = await Task.WhenAny(capture.Built.Task, capture.Exited.Task);
        if (built != capture.Built.Task)
        {
            await capture.Exited.Task;
            throw new InvalidOperationException("The app exited before it built its host.");
        }
        var host = await capture.Built.Task;
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            if (await Task.WhenAny(started.Task, capture.Exited.Task) != started.Task)
            {
                await capture.Exited.Task;
                throw new InvalidOperationException("The app exited while starting.");
            }
        }
        var address = host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new AppHost(host, thread, dataFolder, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        await Task.Run(() => _thread.Join(TimeSpan.FromSeconds(30)));
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"Could not delete {_dataFolder}: {e.Message}");
        }
    }

    private sealed class HostCapture : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
    {
        public TaskCompletionSource<IHost> Built { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == "Microsoft.Extensions.Hosting" && !Built.Task.IsCompleted)
            {
                listener.Subscribe(this);
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Key == "HostBuilt" && value.Value is IHost host)
            {
                Built.TrySetResult(host);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}
