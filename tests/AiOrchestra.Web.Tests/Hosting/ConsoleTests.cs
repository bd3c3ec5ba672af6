using System.Net;
using System.Net.Sockets;
using AiOrchestra.Web.Tests.Crash;

namespace AiOrchestra.Web.Tests.Hosting;

/// <summary>What a person starting the app reads on its console: the built app run as a separate process.</summary>
[Trait("Provider", "sqlite")] // its SQLite file, or processes on SQLite: once, in the SQLite pass
public sealed class ConsoleTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "aiorchestra-console-" + Guid.NewGuid().ToString("N"))).FullName;

    private string DatabaseFile => Path.Combine(_folder, "console.db");

    [Fact]
    public async Task The_first_start_says_which_address_to_open_that_the_first_visit_creates_the_administrator_and_one_line_on_the_keys()
    {
        var settings = new Dictionary<string, string>
        {
            ["Admin:UserName"] = "",
            ["Admin:Password"] = "",
            ["Logging:LogLevel:Default"] = "Information", // as shipped
        };
        using var app = await AppProcess.StartAsync(_folder, DatabaseFile, settings, Timeout);

        var welcome = $"open {app.Url} in a browser. There is no user yet: the first visit creates the administrator.";
        using (var waited = new CancellationTokenSource(Timeout))
        {
            while (!app.Output.Contains(welcome, StringComparison.Ordinal))
            {
                await Task.Delay(100, waited.Token);
            }
        }

        var output = app.Output;
        Assert.Single(output.Split('\n'), line => line.Contains("are not encrypted at rest", StringComparison.Ordinal));
        Assert.Contains("DataProtection__CertificatePath", output);
        Assert.DoesNotContain("may be persisted to storage in unencrypted form", output);
    }

    [Fact]
    public async Task With_the_json_formatter_a_log_line_is_one_json_object()
    {
        using var app = await AppProcess.StartAsync(_folder, DatabaseFile, new Dictionary<string, string> { ["Logging:Console:FormatterName"] = "json" }, Timeout);

        var line = app.Output.Split('\n').First(l => l.Contains("Now listening on", StringComparison.Ordinal));
        using var log = System.Text.Json.JsonDocument.Parse(line);
        Assert.Equal("Microsoft.Hosting.Lifetime", log.RootElement.GetProperty("Category").GetString());
        Assert.Equal("Information", log.RootElement.GetProperty("LogLevel").GetString());
        Assert.StartsWith("Now listening on: http://127.0.0.1:", log.RootElement.GetProperty("Message").GetString());
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_naming_it_and_how_to_choose_another_and_exit_code_1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (exitCode, output, error) = await AppProcess.RunToExitAsync(
            _folder, DatabaseFile, new Dictionary<string, string> { ["urls"] = $"http://127.0.0.1:{port}" }, Timeout);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(Lines(error));
        Assert.Contains($"http://127.0.0.1:{port}", line);
        Assert.Contains("--urls", line);
        Assert.Contains("ASPNETCORE_URLS", line);
        Assert.DoesNotContain("   at ", output + error);
    }

    [Fact]
    public async Task ASPNETCORE_URLS_chooses_the_address()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        // the port is taken on purpose: the one line names the address the app tried
        var (exitCode, _, error) = await AppProcess.RunToExitAsync(
            _folder, DatabaseFile, new Dictionary<string, string>(), Timeout, environment: new Dictionary<string, string> { ["ASPNETCORE_URLS"] = address });

        Assert.Equal(1, exitCode);
        Assert.Contains($"Cannot listen on {address}:", Assert.Single(Lines(error)));
    }

    [Theory]
    [InlineData("Retention:Days", "0")]
    [InlineData("Retention:Days", "-3")]
    [InlineData("Retention:MaxRuns", "0")]
    [InlineData("Retention:FailedDays", "-1")]
    [InlineData("Retention:AuditDays", "0")]
    public async Task Zero_or_negative_retention_is_one_line_naming_the_setting_and_exit_code_1(string key, string value)
    {
        var (exitCode, output, error) = await AppProcess.RunToExitAsync(_folder, DatabaseFile, new Dictionary<string, string> { [key] = value }, Timeout);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(Lines(error));
        Assert.Contains(key, line);
        Assert.Contains("0 or a negative number is not allowed", line);
        Assert.DoesNotContain("   at ", output + error);
    }

    [Fact]
    public async Task A_corrupted_database_is_one_line_naming_the_file_and_what_to_do_and_exit_code_1()
    {
        await File.WriteAllBytesAsync(DatabaseFile, Enumerable.Range(0, 8192).Select(i => (byte)(i * 7 + 3)).ToArray());

        var (exitCode, output, error) = await AppProcess.RunToExitAsync(_folder, DatabaseFile, new Dictionary<string, string>(), Timeout);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(Lines(error));
        Assert.Contains(DatabaseFile, line);
        Assert.Contains("not an SQLite database", line);
        Assert.Contains("Restore it from a backup", line);
        Assert.DoesNotContain("   at ", output + error);
    }

    [Fact]
    public async Task An_administrator_password_the_rules_refuse_is_one_line_saying_what_to_change_and_exit_code_1()
    {
        var (exitCode, output, error) = await AppProcess.RunToExitAsync(
            _folder, DatabaseFile, new Dictionary<string, string> { ["Admin:Password"] = "short" }, Timeout);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(Lines(error));
        Assert.Contains("could not be created", line);
        Assert.Contains("Change Admin:Password", line);
        Assert.DoesNotContain("   at ", output + error);
    }

    [Fact]
    public async Task A_sample_signing_key_found_while_building_is_one_line_and_exit_code_1()
    {
        var (exitCode, output, error) = await AppProcess.RunToExitAsync(
            _folder, DatabaseFile, new Dictionary<string, string> { ["Auth:SigningKey"] = "change-me-in-production" }, Timeout);

        Assert.Equal(1, exitCode);
        Assert.Contains("a published sample value", Assert.Single(Lines(error)));
        Assert.DoesNotContain("   at ", output + error);
    }

    [Fact]
    public async Task Help_prints_the_commands_and_the_main_settings()
    {
        var (exitCode, output, _) = await AppProcess.RunToExitAsync(_folder, DatabaseFile, new Dictionary<string, string>(), Timeout, ["--help"]);

        Assert.Equal(0, exitCode);
        Assert.Contains("start the server", output);
        Assert.Contains("validate FILE", output);
        Assert.Contains("run FILE [--var name=value]", output);
        foreach (var setting in new[] { "--urls", "ASPNETCORE_URLS", "ConnectionStrings:Default", "DataFolder", "Admin:UserName", "DataProtection:CertificatePath" })
        {
            Assert.Contains(setting, output);
        }
        Assert.False(File.Exists(DatabaseFile), "--help must not start the server");
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // the app may still hold a file for a moment; the OS temp cleaner takes it
        }
    }
}
