using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Original;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace AiOrchestra.Web.Tests.Original;

/// <summary>The original AI-Orchestra's environment variable names and its <c>.env</c> file, read as aliases of ours.</summary>
public sealed class OriginalSettingsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("original-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_originals_names_fill_our_settings_and_the_environment_beats_the_env_file()
    {
        var environment = new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-from-environment",
            ["NOTION_TOKEN"] = "",
        };
        var dotEnv = new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = "sk-from-file",
            ["GITHUB_TOKEN"] = "ghp-from-file",
            ["NOTION_TOKEN"] = "secret_notion",
            ["SECRET_KEY"] = "a-signing-key-that-is-long-enough-for-hs256-tokens",
            ["ACCESS_TOKEN_EXPIRE_MINUTES"] = "15",
        };

        var settings = OriginalSettings.AliasesOf(environment, dotEnv);

        Assert.Equal("sk-from-environment", settings["OpenAI:ApiKey"]);
        Assert.Equal("ghp-from-file", settings["GitHub:Token"]);
        Assert.Equal("secret_notion", settings["Notion:Token"]);
        Assert.Equal("a-signing-key-that-is-long-enough-for-hs256-tokens", settings["Auth:SigningKey"]);
        Assert.Equal("15", settings["Auth:TokenMinutes"]);
    }

    [Fact]
    public void Gmail_credentials_path_reads_the_google_client_file()
    {
        var file = Path.Combine(_folder, "credentials.json");
        File.WriteAllText(file, """{"installed":{"client_id":"123.apps.googleusercontent.com","client_secret":"GOCSPX-abc","redirect_uris":["http://localhost"]}}""");

        var settings = OriginalSettings.AliasesOf(new Dictionary<string, string?> { ["GMAIL_CREDENTIALS_PATH"] = file }, new Dictionary<string, string>());

        Assert.Equal("123.apps.googleusercontent.com", settings["Gmail:ClientId"]);
        Assert.Equal("GOCSPX-abc", settings["Gmail:ClientSecret"]);
    }

    [Fact]
    public void A_gmail_credentials_path_that_is_not_a_client_file_names_the_setting_and_the_way_out()
    {
        var file = Path.Combine(_folder, "token.json");
        File.WriteAllText(file, """{"token":"ya29.x"}""");

        var error = Assert.Throws<InvalidOperationException>(() =>
            OriginalSettings.AliasesOf(new Dictionary<string, string?> { ["GMAIL_CREDENTIALS_PATH"] = file }, new Dictionary<string, string>()));

        Assert.Contains("GMAIL_CREDENTIALS_PATH", error.Message);
        Assert.Contains("Gmail__ClientId", error.Message);
    }

    [Fact]
    public void The_env_file_is_read_with_comments_export_and_quotes_and_our_names_in_it_beat_the_originals_and_appsettings()
    {
        File.WriteAllText(Path.Combine(_folder, ".env"), """
            # the original's settings
            export ORIGINAL_ONLY_SETTING=ignored
            ACCESS_TOKEN_EXPIRE_MINUTES=15   # a comment
            OPENAI_API_KEY="sk-original"
            OpenAI__ApiKey='sk-ours'
            OpenAI__Model=gpt-test
            """);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = _folder, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:TokenMinutes"] = "30" });

        builder.AddOriginalSettings(_folder);

        Assert.Equal("sk-ours", builder.Configuration["OpenAI:ApiKey"]);
        Assert.Equal("gpt-test", builder.Configuration["OpenAI:Model"]);
        Assert.Equal("30", builder.Configuration["Auth:TokenMinutes"]);
    }

    [Fact]
    public void An_alias_is_used_when_our_own_name_is_not_set()
    {
        File.WriteAllText(Path.Combine(_folder, ".env"), "NOTION_TOKEN=secret_from_env_file\n");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = _folder, EnvironmentName = "Production" });

        builder.AddOriginalSettings(_folder);

        Assert.Equal("secret_from_env_file", builder.Configuration["Notion:Token"]);
    }

    [Fact]
    public void A_malformed_env_line_names_the_file_and_line()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DotEnv.Parse("A=1\nnot a setting\n", "/srv/.env"));

        Assert.Contains("/srv/.env, line 2", error.Message);
    }

    [Theory]
    [InlineData("change-me-in-production")]
    [InlineData("your-secret-key-here")]
    public void A_published_sample_secret_key_is_refused_at_start_up_with_the_reason(string key)
    {
        var error = Assert.Throws<AiOrchestra.Web.Hosting.StartupProblem>(() => new SigningKey(new AuthOptions { SigningKey = key }, _folder));

        Assert.Contains("published sample value", error.Message);
        Assert.Contains("SECRET_KEY", error.Message);
    }
}
