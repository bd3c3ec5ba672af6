using System.Diagnostics;

namespace AiOrchestra.Browser.Tests;

/// <summary>The browser tests set up their browser on a fresh machine, or fail at once saying how.</summary>
public sealed class ChromiumTests : IDisposable
{
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "aiorchestra-chromium-" + Guid.NewGuid().ToString("N"))).FullName;
    private readonly List<ProcessStartInfo> _commands = [];

    private string Executable => Path.Combine(_folder, "chromium");

    [Fact]
    public async Task A_present_browser_runs_nothing()
    {
        await File.WriteAllTextAsync(Executable, "");

        await new Chromium(Executable, privileged: false, aptGet: null, Record(install: false)).EnsureInstalledAsync();

        Assert.Empty(_commands);
    }

    [Fact]
    public async Task A_missing_browser_is_installed_with_apt_get_non_interactively_when_running_as_root()
    {
        await new Chromium(Executable, privileged: true, aptGet: "/usr/bin/apt-get", Record(install: true)).EnsureInstalledAsync();

        Assert.Equal(["update -qq", "install -y -qq chromium"], _commands.Select(c => string.Join(' ', c.ArgumentList)));
        Assert.All(_commands, c => Assert.Equal("/usr/bin/apt-get", c.FileName));
        Assert.All(_commands, c => Assert.Equal("noninteractive", c.Environment["DEBIAN_FRONTEND"]));
        Assert.True(File.Exists(Executable));
    }

    [Theory]
    [InlineData(false, "/usr/bin/apt-get")]
    [InlineData(true, null)]
    public async Task A_missing_browser_that_cannot_be_installed_fails_at_once_with_one_line_naming_the_package_and_the_command(bool privileged, string? aptGet)
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new Chromium(Executable, privileged, aptGet, Record(install: true)).EnsureInstalledAsync());

        Assert.Empty(_commands);
        Assert.DoesNotContain('\n', failure.Message);
        Assert.Contains("'chromium' package", failure.Message);
        Assert.Contains("sudo apt-get update && apt-get install -y chromium", failure.Message);
    }

    [Fact]
    public async Task A_failed_install_says_which_command_failed_and_what_to_run()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => new Chromium(
            Executable, privileged: true, "/usr/bin/apt-get", _ => Task.FromResult((100, "E: Unable to locate package chromium\n"))).EnsureInstalledAsync());

        Assert.DoesNotContain('\n', failure.Message);
        Assert.Contains("'apt-get update -qq' exited with 100 (E: Unable to locate package chromium)", failure.Message);
        Assert.Contains("apt-get install -y chromium", failure.Message);
    }

    private Func<ProcessStartInfo, Task<(int, string)>> Record(bool install) => start =>
    {
        _commands.Add(start);
        if (install && start.ArgumentList.Contains("install"))
        {
            File.WriteAllText(Executable, "");
        }
        return Task.FromResult((0, ""));
    };

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
