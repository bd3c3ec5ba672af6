using System.Net;
using AiOrchestra.Web.Tests.Api;
using AiOrchestra.Web.Tests.Dashboard;

namespace AiOrchestra.Web.Tests.Store;

/// <summary>
/// Everything the app writes in its data folder (the database and its -wal/-shm, the generated signing key, the Data
/// Protection keys, the encrypted secrets) is readable by the app's account only: files 0600, folders 0700.
/// </summary>
[Trait("Provider", "sqlite")] // its SQLite file, or processes on SQLite: once, in the SQLite pass
public sealed class DataFolderPermissionsTests
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerFolder = OwnerFile | UnixFileMode.UserExecute;

    [Fact]
    public async Task Every_file_the_app_creates_in_a_new_data_folder_is_the_owners_only()
    {
        using var app = new FreshDataFolderApp();
        Uri address;
        using (var probe = app.Anonymous())
        {
            address = probe.BaseAddress!;
        }
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = address };
        var login = await browser.PostFormAsync("/Account/Login", new() { ["UserName"] = ApiFactory.AdminUser, ["Password"] = ApiFactory.AdminPassword });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var saved = await browser.PostFormAsync("/Settings?handler=Save", new() { ["Key"] = "Notion:Token", ["Value"] = "secret_permissions_test_1234", ["Scope"] = "instance" }, formPage: "/Settings");
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        await app.LoginAsync();

        var files = Directory.GetFiles(app.DataFolder, "*", SearchOption.AllDirectories);
        var names = files.Select(f => Path.GetRelativePath(app.DataFolder, f)).ToList();
        Assert.Contains("aiorchestra.db", names);
        Assert.Contains("aiorchestra.db-wal", names);
        Assert.Contains("aiorchestra.db-shm", names);
        Assert.Contains("signing-key", names);
        Assert.Contains("secrets.json", names);
        Assert.Contains(names, n => n.StartsWith("keys/key-", StringComparison.Ordinal));
        Assert.All(files, file => Assert.True(Mode(file) == OwnerFile, $"{file} is {Mode(file)}"));
        var folders = Directory.GetDirectories(app.DataFolder, "*", SearchOption.AllDirectories).Append(app.DataFolder);
        Assert.All(folders, folder => Assert.True(Mode(folder) == OwnerFolder, $"{folder} is {Mode(folder)}"));
    }

    /// <summary>Windows has no such modes; there the app relies on the folder's inherited access rules.</summary>
    private static UnixFileMode Mode(string path) => OperatingSystem.IsWindows() ? OwnerFile : File.GetUnixFileMode(path);

    /// <summary>The app with a data folder that does not exist yet, its database in it, and a signing key to generate.</summary>
    private sealed class FreshDataFolderApp() : ApiFactory(sqliteOnly: true)
    {
        public string DataFolder => Path.Combine(Path.GetDirectoryName(DatabaseFile)!, "data");

        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["DataFolder"] = DataFolder,
            ["ConnectionStrings:Default"] = $"Data Source={Path.Combine(DataFolder, "aiorchestra.db")}",
            ["Auth:SigningKey"] = "",
        };
    }
}
