using System.Text.Json.Nodes;
using AiOrchestra.Engine.Execution;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>
/// A step type the test controls: <c>gate</c> / <c>wait</c> reports that it waits, then finishes only when the test
/// opens the gate of that name, so the browser can be watched while a run is in the middle.
/// </summary>
public sealed class GateStep : IStepType
{
    private readonly Dictionary<string, TaskCompletionSource> _gates = [];

    public string Name => "gate";

    public string Description => "Waits until the test opens the gate.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("wait", "Waits for the named gate.", [new StepParameter("name", ParameterType.String, true, "The gate's name.")]),
    ];

    public TaskCompletionSource Gate(string name)
    {
        lock (_gates)
        {
            if (!_gates.TryGetValue(name, out var gate))
            {
                gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _gates[name] = gate;
            }
            return gate;
        }
    }

    public async Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var name = call.Parameters["name"]!.GetValue<string>();
        call.Context.ReportDelta($"waiting on {name}");
        await Gate(name).Task.WaitAsync(cancellationToken);
        return JsonValue.Create($"gate **{name}** opened");
    }
}

/// <summary>
/// A step type that stands for a call to a service: <c>calls</c> / <c>call</c> records its <c>name</c> each time it
/// runs (the test reads who was called, as a fake server's request log), and fails when <c>fail</c> is <c>yes</c>.
/// </summary>
public sealed class CallsStep : IStepType
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _calls = new();

    public IReadOnlyList<string> Calls => _calls.ToList();

    public string Name => "calls";

    public string Description => "Records that it was called; fails when asked to.";

    public IReadOnlyList<StepAction> Actions { get; } =
    [
        new("call", "Records the call.", [
            new StepParameter("name", ParameterType.String, true, "Who is called."),
            new StepParameter("fail", ParameterType.String, false, "yes to fail."),
        ]),
    ];

    public Task<JsonNode?> ExecuteAsync(StepCall call, CancellationToken cancellationToken)
    {
        var name = call.Parameters["name"]!.GetValue<string>();
        _calls.Enqueue(name);
        if (call.Parameters["fail"]?.GetValue<string>() == "yes")
        {
            throw new StepFailedException($"{name} refused the call");
        }
        return Task.FromResult<JsonNode?>(JsonValue.Create($"{name} answered"));
    }
}

/// <summary>The real app on a real Kestrel port (not TestServer) with its own temporary SQLite file.</summary>
public sealed class BrowserHost : WebApplicationFactory<Program>
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "aiorchestra-browser", Guid.NewGuid().ToString("N"));

    public GateStep Gates { get; } = new();

    public CallsStep Calls { get; } = new();

    private readonly IReadOnlyDictionary<string, string> _settings;

    /// <param name="settings">Configuration for this host (for example an integration's base URL and token).</param>
    public BrowserHost(IReadOnlyDictionary<string, string>? settings = null)
    {
        // a fresh machine: the browser is installed here, or every browser test fails at once saying how
        Chromium.EnsureInstalled();
        _settings = settings ?? new Dictionary<string, string>();
        Directory.CreateDirectory(_folder);
        UseKestrel(0);
        StartServer();
    }

    /// <summary>The administrator the first-run setup makes in <see cref="SetUpAdministratorAsync"/>.</summary>
    public const string AdminName = "admin";

    public const string AdminPassword = "Password123";

    /// <summary>A page in a new browser context of this host (cookies of its own), with the tests' 15 s default timeout.</summary>
    public async Task<IPage> NewPageAsync(IBrowser browser, BrowserNewContextOptions? options = null)
    {
        options ??= new BrowserNewContextOptions();
        options.BaseURL = BaseAddress;
        var context = await browser.NewContextAsync(options);
        context.SetDefaultTimeout(15_000);
        // the same for Expect(…), whose own default is 5 s: in CI the run beside the page shares 2 cores with the other
        // test projects, and a run page waiting for its run's next live event missed 5 s once (ApprovalTests)
        Assertions.SetDefaultExpectTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>The first-run setup on <paramref name="page"/>: creates <see cref="AdminName"/> and lands on Home, signed in.</summary>
    public async Task SetUpAdministratorAsync(IPage page)
    {
        await page.GotoAsync("/Account/Setup");
        await page.GetByLabel("User name").FillAsync(AdminName);
        await page.Locator("#password").FillAsync(AdminPassword);
        await page.GetByLabel("Password again").FillAsync(AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the administrator" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(BaseAddress.TrimEnd('/') + "/");
    }

    public string BaseAddress => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::1]", "127.0.0.1");

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(RepositoryRoot);
        builder.UseSetting("ConnectionStrings:Default", $"Data Source={Path.Combine(_folder, "browser.db")}");
        builder.UseSetting("DataFolder", _folder);
        builder.UseSetting("urls", "http://127.0.0.1:0");
        // every test signs in from the same address; the attempt budget itself is tested in the web tests
        builder.UseSetting("Auth:LoginAttemptsPerMinute", "1000");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<IStepType>(Gates);
            services.AddSingleton<IStepType>(Calls);
            services.RemoveAll<IDataProtectionProvider>();
            services.AddSingleton<IDataProtectionProvider, EphemeralDataProtectionProvider>();
        });
    }

    private static string FindRepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "AiOrchestra.sln")))
        {
            folder = folder.Parent;
        }
        return folder?.FullName ?? throw new InvalidOperationException("AiOrchestra.sln not found above the test's folder.");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // the host may still hold the file for a moment; the OS temp cleaner takes it
            }
        }
    }
}
