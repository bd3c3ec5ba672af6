using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Web.Settings;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;

namespace AiOrchestra.Web.Tests.Settings;

public sealed class IntegrationSettingsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "aio-settings-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void The_settings_page_lists_exactly_the_secrets_the_steps_read()
    {
        Assert.Equal(IntegrationSecrets.Keys, IntegrationSettings.All.SelectMany(i => i.Secrets).Select(s => s.Key));
    }

    [Fact]
    public void An_environment_variable_of_only_whitespace_leaves_the_stored_value_in_use_and_the_page_says_so()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["DataFolder"] = _folder, ["Notion:Token"] = "   " })
            .Build();
        var store = NewStore(configuration);
        store.Set("Notion:Token", "secret_stored_token_5678");
        var secrets = new IntegrationSecrets(configuration, store.Get);
        var settings = new IntegrationSettings(secrets, store);

        Assert.Equal("secret_stored_token_5678", secrets.Find("Notion:Token"));
        Assert.Equal(SecretSource.Stored, settings.SourceOf("Notion:Token"));
        Assert.Equal("••••••••5678", settings.Masked("Notion:Token"));
    }

    [Fact]
    public void A_configured_value_wins_and_is_read_trimmed()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["DataFolder"] = _folder, ["GitHub:Token"] = " ghp_from_environment_9012 " })
            .Build();
        var store = NewStore(configuration);
        store.Set("GitHub:Token", "ghp_stored_value_3456");
        var settings = new IntegrationSettings(new IntegrationSecrets(configuration, store.Get), store);

        Assert.Equal(SecretSource.Environment, settings.SourceOf("GitHub:Token"));
        Assert.Equal("••••••••9012", settings.Masked("GitHub:Token"));
        Assert.Equal(SecretSource.Missing, settings.SourceOf("OpenAI:ApiKey"));
    }

    private SecretStore NewStore(IConfiguration configuration) =>
        new(new EphemeralDataProtectionProvider(), new HostingEnvironment { ContentRootPath = _folder }, configuration);
}
