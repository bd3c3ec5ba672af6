using AiOrchestra.Web.Settings;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;

namespace AiOrchestra.Web.Tests.Settings;

public sealed class SecretStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "aio-secrets-" + Guid.NewGuid().ToString("N"));
    private readonly EphemeralDataProtectionProvider _protection = new();

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void A_read_value_follows_every_later_set_and_remove()
    {
        var store = NewStore();
        Assert.Null(store.Get("Notion:Token"));

        store.Set("Notion:Token", "first_value_1234");
        Assert.Equal("first_value_1234", store.Get("Notion:Token"));
        Assert.Equal("first_value_1234", store.Get("Notion:Token"));

        store.Set("Notion:Token", "second_value_5678");
        Assert.Equal("second_value_5678", store.Get("Notion:Token"));

        store.Remove("Notion:Token");
        Assert.Null(store.Get("Notion:Token"));
        Assert.False(store.Has("Notion:Token"));
    }

    [Fact]
    public void Stored_values_are_encrypted_on_disk_and_read_back_by_a_new_store()
    {
        NewStore().Set("GitHub:Token", "ghp_on_disk_value_9012");

        Assert.DoesNotContain("ghp_on_disk_value_9012", File.ReadAllText(Path.Combine(_folder, "secrets.json")));
        Assert.Equal("ghp_on_disk_value_9012", NewStore().Get("GitHub:Token"));
    }

    private SecretStore NewStore()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DataFolder"] = _folder }).Build();
        return new SecretStore(_protection, new HostingEnvironment { ContentRootPath = _folder }, configuration);
    }
}
