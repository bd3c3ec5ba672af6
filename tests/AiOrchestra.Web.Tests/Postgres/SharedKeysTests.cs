using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiOrchestra.Web.Tests.Store;
using Microsoft.AspNetCore.DataProtection;

namespace AiOrchestra.Web.Tests.Postgres;

/// <summary>
/// Two processes on one PostgreSQL database, each with a data folder of its own (as on two machines): an API token
/// signed by one is accepted by the other, and what one protects (cookies, stored secrets) the other reads.
/// </summary>
[Trait("Provider", "postgres")]
public sealed class SharedKeysTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly string _folderA = Path.Combine(Path.GetTempPath(), "aiorchestra-tests", Guid.NewGuid().ToString("N"));
    private readonly string _folderB = Path.Combine(Path.GetTempPath(), "aiorchestra-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        _database.Dispose();
        foreach (var folder in new[] { _folderA, _folderB })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private StoreHost Host(string folder) => new(_database, new FakeSteps(), new Dictionary<string, string?>
    {
        ["DataFolder"] = folder, ["Admin:UserName"] = "admin", ["Admin:Password"] = "Admin-Pass-123", ["Auth:LoginAttemptsPerMinute"] = "1000",
    });

    [PostgresFact]
    public async Task A_token_and_a_protected_value_from_one_process_work_on_another()
    {
        Directory.CreateDirectory(_folderA);
        Directory.CreateDirectory(_folderB);
        await using var a = Host(_folderA);
        await using var b = Host(_folderB);

        using var clientA = a.CreateClient();
        var login = await clientA.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "Admin-Pass-123" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var token = JsonNode.Parse(await login.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();

        using var clientB = b.CreateClient();
        clientB.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await clientB.GetAsync("/api/workflows")).StatusCode);

        // the key ring behind cookies and stored secrets is the database's, not the data folders'
        var sealedText = a.Get<IDataProtectionProvider>().CreateProtector("shared-keys-test").Protect("only ours");
        Assert.Equal("only ours", b.Get<IDataProtectionProvider>().CreateProtector("shared-keys-test").Unprotect(sealedText));
        Assert.Empty(Directory.GetFiles(_folderA, "signing-key", SearchOption.AllDirectories));
    }
}
