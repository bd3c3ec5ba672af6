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
    public void The_built_in_integrations_keep_the_credential_names_existing_environments_and_stored_secrets_use()
    {
        // environment variables (OpenAI__ApiKey), the original project's aliases and data/secrets.json are keyed by these
        Assert.Equal(
            ["OpenAI:ApiKey", "Anthropic:ApiKey", "Local:ApiKey", "GitHub:Token", "Notion:Token", "Gmail:ClientId", "Gmail:ClientSecret", "Gmail:RefreshToken"],
            new IntegrationSecrets(new ConfigurationBuilder().Build()).AllKeys);
        Assert.All(BuiltInIntegrations.All.SelectMany(i => i.Credentials), credential => Assert.True(credential.Secret));
    }

    [Fact]
    public void Configured_mcp_servers_show_their_address_and_whether_a_token_is_set_but_never_the_token()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DataFolder"] = _folder,
                ["Mcp:Servers:search:Url"] = "https://user:pw@mcp.example.com/mcp?key=abc",
                ["Mcp:Servers:search:Token"] = "mcp-token-1234567890",
                ["Mcp:Servers:files:Url"] = "http://localhost:8931/mcp",
            })
            .Build();
        var store = NewStore(configuration);
        var settings = new IntegrationSettings(new IntegrationSecrets(configuration, store.Get), store, configuration);

        Assert.Equal(
            [("files", "http://localhost:8931/mcp", false), ("search", "https://mcp.example.com/mcp (credentials and query hidden)", true)],
            settings.McpServers());
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
        var settings = new IntegrationSettings(secrets, store, configuration);

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
        var settings = new IntegrationSettings(new IntegrationSecrets(configuration, store.Get), store, configuration);

        Assert.Equal(SecretSource.Environment, settings.SourceOf("GitHub:Token"));
        Assert.Equal("••••••••9012", settings.Masked("GitHub:Token"));
        Assert.Equal(SecretSource.Missing, settings.SourceOf("OpenAI:ApiKey"));
    }

    [Fact]
    public void Each_server_address_and_the_default_model_show_as_the_steps_use_them_configured_or_default()
    {
        var settings = NewSettings(new() { ["OpenAI:BaseUrl"] = "http://localhost:11434/v1", ["OpenAI:Model"] = "llama3.2" });
        var openai = BuiltInIntegrations.All.Single(i => i.Name == "openai").Settings;

        Assert.Equal(("http://localhost:11434/v1", true), settings.ValueOf(openai.Single(s => s.Key == "OpenAI:BaseUrl")));
        Assert.Equal(("llama3.2", true), settings.ValueOf(openai.Single(s => s.Key == "OpenAI:Model")));
        Assert.Equal(("https://api.github.com/", false), settings.ValueOf(BuiltInIntegrations.All.Single(i => i.Name == "github").Settings.Single()));
        Assert.Equal(["Gmail:BaseUrl", "Gmail:TokenUrl"], BuiltInIntegrations.All.Single(i => i.Name == "gmail").Settings.Select(s => s.Key));
    }

    [Theory]
    [InlineData("https://robot:hunter2-password@ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/ (credentials and query hidden)")]
    [InlineData("https://gateway.example/api/v3/?key=hunter2-password", "https://gateway.example/api/v3/ (credentials and query hidden)")]
    // a password with a '/' leaves no valid address at all: nothing of it is shown
    [InlineData("https://robot:hunter2/password@ghe.example.com/", "not an http(s) address: set GitHub__BaseUrl to one")]
    [InlineData("https://ghe.example.com:8443/api/v3/", "https://ghe.example.com:8443/api/v3/")]
    public void Credentials_or_a_key_written_into_a_server_address_are_not_shown(string configured, string shown)
    {
        var settings = NewSettings(new() { ["GitHub:BaseUrl"] = configured });

        var (value, isConfigured) = settings.ValueOf(BuiltInIntegrations.All.Single(i => i.Name == "github").Settings.Single());

        Assert.True(isConfigured);
        Assert.Equal(shown, value);
        Assert.DoesNotContain("hunter2", value);
    }

    private IntegrationSettings NewSettings(Dictionary<string, string?> values)
    {
        values["DataFolder"] = _folder;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var store = NewStore(configuration);
        return new IntegrationSettings(new IntegrationSecrets(configuration, store.Get), store, configuration);
    }

    private SecretStore NewStore(IConfiguration configuration) =>
        new(new EphemeralDataProtectionProvider(), new HostingEnvironment { ContentRootPath = _folder }, configuration);
}
