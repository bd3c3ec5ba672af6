using System.Diagnostics;
using Microsoft.Playwright;

namespace AiOrchestra.Browser.Tests;

/// <summary>
/// Debian's Chromium, which the browser tests drive (never a downloaded browser). On a fresh machine the test run
/// installs it when it may (root, apt-get present); otherwise every browser test fails at once with one line naming
/// the package and the command that installs it. Never a skipped test.
/// </summary>
public sealed class Chromium(string executable, bool privileged, string? aptGet, Func<ProcessStartInfo, Task<(int ExitCode, string Output)>> run)
{
    public const string Executable = "/usr/bin/chromium";
    public const string Package = "chromium";

    private static readonly Lazy<Task> OnThisMachine = new(() =>
        new Chromium(Executable, Environment.IsPrivilegedProcess, File.Exists("/usr/bin/apt-get") ? "/usr/bin/apt-get" : null, RunAsync).EnsureInstalledAsync());

    /// <summary>Playwright driving this machine's Chromium, headless, as every browser test class starts it.</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    /// <summary>Installs the browser once per test run if it is missing; a failure is the same one line for every test.</summary>
    public static void EnsureInstalled() => OnThisMachine.Value.GetAwaiter().GetResult();

    public async Task EnsureInstalledAsync()
    {
        if (File.Exists(executable))
        {
            return;
        }
        var command = $"apt-get update && apt-get install -y {Package}";
        if (!privileged || aptGet is null)
        {
            throw new InvalidOperationException(
                $"The browser tests need Debian's '{Package}' package ({executable} is missing): install it with 'sudo {command}', then run dotnet test again.");
        }
        foreach (var arguments in new[] { new[] { "update", "-qq" }, ["install", "-y", "-qq", Package] })
        {
            var start = new ProcessStartInfo(aptGet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            var (exitCode, output) = await run(start);
            if (exitCode != 0)
            {
                var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
                throw new InvalidOperationException(
                    $"Installing the browser tests' '{Package}' package failed: 'apt-get {string.Join(' ', arguments)}' exited with {exitCode} ({lastLine}); run '{command}' yourself, then dotnet test again.");
            }
        }
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"apt-get installed '{Package}' but {executable} is still missing; install the browser there, then run dotnet test again.");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
