using System.Diagnostics;
using System.Net;
using AiOrchestra.Web.CommandLine;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Data.Postgres;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.History;
using AiOrchestra.Web.Tests.Store;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// Backups on PostgreSQL: <c>backup FILE</c> and the Settings download answer with the exact pg_dump and pg_restore
/// commands for the configured database (never its password), and those commands do back it up and restore it.
/// </summary>
public sealed class PostgresBackupTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "aiorchestra-tests", Guid.NewGuid().ToString("N"));

    public PostgresBackupTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        _database.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void The_commands_name_the_configured_server_and_database_and_leave_the_password_out()
    {
        var commands = PostgresBackup.Commands("Host=db.internal;Port=5433;Database=aiorchestra;Username=app;Password=s3cret!", "/backups/ai orchestra.dump");

        Assert.Equal("pg_dump --format=custom --host=db.internal --port=5433 --username=app --file='/backups/ai orchestra.dump' aiorchestra", commands.Dump);
        Assert.Equal("pg_restore --clean --if-exists --no-owner --host=db.internal --port=5433 --username=app --dbname=aiorchestra '/backups/ai orchestra.dump'", commands.Restore);
        Assert.DoesNotContain("s3cret", PostgresBackup.Guidance("Host=db.internal;Database=aiorchestra;Username=app;Password=s3cret!", "x.dump"));
    }

    [PostgresFact]
    [Trait("Provider", "postgres")]
    public async Task Backup_answers_with_pg_dump_commands_that_back_up_and_restore_the_database()
    {
        var file = Path.Combine(_folder, "aiorchestra.dump");
        string owner, kept, afterBackup;
        string guidance;
        await using (var history = await HistoryFixture.StartAsync(_database))
        {
            owner = history.OwnerId;
            kept = await history.Host.EnqueueAsync(owner, "greet");
            await history.Host.WaitForRunAsync(owner, kept);

            var output = new StringWriter();
            var error = new StringWriter();
            Assert.Equal(1, await WorkflowCommands.RunAsync(history.Host.Services, ["backup", file], output, error, CancellationToken.None));
            guidance = error.ToString();
            Assert.Contains("pg_dump --format=custom", guidance);
            Assert.False(File.Exists(file), "the app itself writes no copy of a PostgreSQL database");

            // the printed dump command, run as printed while the app runs
            await ShellAsync(Line(guidance, "pg_dump "));
            Assert.True(new FileInfo(file).Length > 0);
            afterBackup = await history.Host.EnqueueAsync(owner, "greet");
            await history.Host.WaitForRunAsync(owner, afterBackup);
        }

        // the printed restore command, with the app stopped, brings back the database as it was at the dump
        await ShellAsync(Line(guidance, "pg_restore "));
        await using var restored = new StoreHost(_database, new FakeSteps());
        restored.CreateClient().Dispose();
        Assert.Equal(RunStatus.Succeeded, (await restored.GetRunAsync(owner, kept)).Run.Status);
        Assert.False(await restored.WithDbAsync(db => db.Runs.AnyAsync(r => r.Id == afterBackup)));
        var again = await restored.EnqueueAsync(owner, "greet");
        Assert.Equal(RunStatus.Succeeded, (await restored.WaitForRunAsync(owner, again)).Run.Status);
    }

    [PostgresFact]
    [Trait("Provider", "postgres")]
    public async Task Settings_shows_the_administrator_the_pg_dump_commands_instead_of_a_download()
    {
        await using var host = new DashboardHost();
        await host.CreateUserAsync("admin");
        await host.CreateUserAsync("bob");
        var admin = await host.SignedInAsync("admin");
        var bob = await host.SignedInAsync("bob");

        var page = await admin.GetDocumentAsync("/Settings");
        Assert.Null(page.QuerySelector("a[href='/Settings/Backup']"));
        Assert.StartsWith("pg_dump --format=custom --host=127.0.0.1", page.QuerySelector("[data-field=pg-dump]")!.TextContent);
        Assert.StartsWith("pg_restore --clean --if-exists", page.QuerySelector("[data-field=pg-restore]")!.TextContent);
        Assert.Null((await bob.GetDocumentAsync("/Settings")).QuerySelector("[data-field=pg-dump]"));

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/Settings/Backup")).StatusCode);
        var download = await admin.GetAsync("/Settings/Backup");
        Assert.Equal(HttpStatusCode.Conflict, download.StatusCode);
        Assert.Contains("pg_dump --format=custom", await download.Content.ReadAsStringAsync());
    }

    private static string Line(string text, string start) =>
        text.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(start, StringComparison.Ordinal));

    private static async Task ShellAsync(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{command}: {error}");
    }
}
