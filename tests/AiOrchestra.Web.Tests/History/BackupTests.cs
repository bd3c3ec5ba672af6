using System.Net;
using AiOrchestra.Web.CommandLine;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Dashboard;
using AiOrchestra.Web.Tests.Store;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.History;

[Trait("Provider", "sqlite")] // its SQLite file, or processes on SQLite: once, in the SQLite pass
public sealed class BackupTests : IDisposable
{
    private readonly TempDatabase _database = new(sqliteOnly: true);
    private readonly TempDatabase _restored = new(sqliteOnly: true, empty: true); // the backup is restored into its empty folder

    public void Dispose()
    {
        _database.Dispose();
        _restored.Dispose();
    }

    [Fact]
    public async Task A_backup_taken_while_the_app_runs_restores_into_an_app_with_the_same_data()
    {
        var backup = Path.Combine(_restored.Folder, "backup.db");
        string owner;
        string executed;
        await using (var history = await HistoryFixture.StartAsync(_database))
        {
            owner = history.OwnerId;
            await history.AddRunsAsync(RunStatus.Succeeded, TimeSpan.FromHours(2), 20);
            executed = await history.Host.EnqueueAsync(owner, "greet");
            await history.Host.WaitForRunAsync(owner, executed);

            var (exit, output, error) = await BackupAsync(history.Host, backup);

            Assert.True(exit == 0, error);
            Assert.Contains(backup, output);
        }

        // the documented restore: with the app stopped, the copy becomes the database file
        File.Copy(backup, Path.Combine(_restored.Folder, "test.db"));
        await using var restored = new StoreHost(_restored, new FakeSteps());
        restored.CreateClient().Dispose();

        Assert.Equal(21, await restored.WithDbAsync(db => db.Runs.CountAsync()));
        Assert.Equal(21, await restored.WithDbAsync(db => db.RunSteps.CountAsync()));
        var run = await restored.GetRunAsync(owner, executed);
        Assert.Equal(RunStatus.Succeeded, run.Run.Status);
        // and it works on: the restored workflow runs again
        var again = await restored.EnqueueAsync(owner, "greet");
        Assert.Equal(RunStatus.Succeeded, (await restored.WaitForRunAsync(owner, again)).Run.Status);
    }

    [Fact]
    public async Task A_backup_never_overwrites_a_file()
    {
        await using var history = await HistoryFixture.StartAsync(_database);
        var existing = Path.Combine(_restored.Folder, "existing.db");
        await File.WriteAllTextAsync(existing, "keep me");

        var (exit, _, error) = await BackupAsync(history.Host, existing);

        Assert.Equal(1, exit);
        Assert.Contains("exists already", error);
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
    }

    [Fact]
    public async Task Only_the_administrator_sees_and_downloads_a_backup_from_settings()
    {
        await using var host = new DashboardHost();
        await host.CreateUserAsync("admin");
        await host.CreateUserAsync("bob");
        var admin = await host.SignedInAsync("admin");
        var bob = await host.SignedInAsync("bob");

        var adminPage = await admin.GetDocumentAsync("/Settings");
        Assert.Equal("0", adminPage.QuerySelector("[data-field=runs]")!.TextContent);
        Assert.Equal("none", adminPage.QuerySelector("[data-field=oldest]")!.TextContent);
        Assert.NotNull(adminPage.QuerySelector("a[href='/Settings/Backup']"));
        Assert.Null((await bob.GetDocumentAsync("/Settings")).QuerySelector("a[href='/Settings/Backup']"));

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/Settings/Backup")).StatusCode);
        var download = await admin.GetAsync("/Settings/Backup");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/vnd.sqlite3", download.Content.Headers.ContentType!.MediaType);
        var file = Path.Combine(_restored.Folder, "download.db");
        await File.WriteAllBytesAsync(file, await download.Content.ReadAsByteArrayAsync());
        await using var copy = new SqliteConnection($"Data Source={file};Pooling=False");
        await copy.OpenAsync();
        await using var count = copy.CreateCommand();
        count.CommandText = "SELECT count(*) FROM AspNetUsers";
        Assert.Equal(2L, await count.ExecuteScalarAsync());
        // the temporary copy is gone from the data folder once sent
        Assert.Empty(Directory.GetFiles(host.Services.GetRequiredService<IConfiguration>()["DataFolder"]!, "backup-*.db"));
    }

    private static async Task<(int Exit, string Output, string Error)> BackupAsync(StoreHost host, string file)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await WorkflowCommands.RunAsync(host.Services, ["backup", file], output, error, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }
}
