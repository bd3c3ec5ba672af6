using AiOrchestra.Engine.Steps.GitHub;
using AiOrchestra.Engine.Steps.Gmail;
using AiOrchestra.Engine.Steps.Notion;
using AiOrchestra.Engine.Steps.OpenAI;
using System.Text.Json;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;

namespace AiOrchestra.Web.Original;

/// <summary>
/// The original AI-Orchestra's settings, read as aliases of ours: its environment variable names
/// (<c>OPENAI_API_KEY</c>, <c>GITHUB_TOKEN</c>, <c>NOTION_TOKEN</c>, <c>GMAIL_CREDENTIALS_PATH</c>, <c>SECRET_KEY</c>,
/// <c>ACCESS_TOKEN_EXPIRE_MINUTES</c>) and a <c>.env</c> file in the working directory. Our own names win wherever
/// both are set: the aliases are the configuration's lowest layer, and a <c>.env</c> line never overrides a variable
/// the environment already has.
/// </summary>
public static class OriginalSettings
{
    /// <summary>The original's names and the settings they stand for; GMAIL_CREDENTIALS_PATH is read as a file.</summary>
    public static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["OPENAI_API_KEY"] = OpenAIIntegration.ApiKey,
        ["GITHUB_TOKEN"] = GitHubIntegration.Token,
        ["NOTION_TOKEN"] = NotionIntegration.Token,
        ["SECRET_KEY"] = "Auth:SigningKey",
        ["ACCESS_TOKEN_EXPIRE_MINUTES"] = "Auth:TokenMinutes",
    };

    public const string GmailCredentialsPath = "GMAIL_CREDENTIALS_PATH";

    /// <summary>
    /// Adds the <c>.env</c> file of <paramref name="workingDirectory"/> (our own names in it rank as environment
    /// variables below the real ones) and the original's names (below everything else) to the configuration.
    /// </summary>
    public static WebApplicationBuilder AddOriginalSettings(this WebApplicationBuilder builder, string? workingDirectory = null)
    {
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        var dotEnvFile = Path.Combine(workingDirectory ?? Directory.GetCurrentDirectory(), ".env");
        var dotEnv = File.Exists(dotEnvFile) ? DotEnv.Parse(File.ReadAllText(dotEnvFile), dotEnvFile) : [];

        var sources = builder.Configuration.Sources;
        sources.Insert(0, new MemoryConfigurationSource { InitialData = AliasesOf(environment, dotEnv) });
        var ours = OurNames(environment, dotEnv);
        if (ours.Count > 0)
        {
            // just below the real environment variables, as if the file had set them
            var index = sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource);
            sources.Insert(index < 0 ? sources.Count : index, new MemoryConfigurationSource { InitialData = ours });
        }
        return builder;
    }

    /// <summary>Our settings from the original's names, the environment's value first, then the <c>.env</c> file's.</summary>
    public static Dictionary<string, string?> AliasesOf(IReadOnlyDictionary<string, string?> environment, IReadOnlyDictionary<string, string> dotEnv)
    {
        string? Value(string name) => environment.GetValueOrDefault(name) is { Length: > 0 } set ? set : dotEnv.GetValueOrDefault(name);

        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (original, ours) in Aliases)
        {
            if (Value(original) is { Length: > 0 } value)
            {
                settings[ours] = value;
            }
        }
        if (Value(GmailCredentialsPath) is { Length: > 0 } path)
        {
            var (clientId, clientSecret) = GoogleClientFile.Read(path);
            settings[GmailIntegration.ClientId] = clientId;
            settings[GmailIntegration.ClientSecret] = clientSecret;
        }
        return settings;
    }

    /// <summary>Lines of the <c>.env</c> file in our own spelling (<c>OpenAI__ApiKey</c>) the environment does not set.</summary>
    public static Dictionary<string, string?> OurNames(IReadOnlyDictionary<string, string?> environment, IReadOnlyDictionary<string, string> dotEnv)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in dotEnv)
        {
            if (name.Contains("__", StringComparison.Ordinal) && !environment.ContainsKey(name))
            {
                settings[name.Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }
        return settings;
    }
}

/// <summary>A <c>.env</c> file: <c>NAME=value</c> lines, <c>#</c> comments, optional <c>export</c> and quotes.</summary>
public static class DotEnv
{
    public static Dictionary<string, string> Parse(string text, string file)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }
            var equals = line.IndexOf('=');
            var name = equals > 0 ? line[..equals].Trim() : "";
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new InvalidOperationException(
                    $"{file}, line {i + 1}: expected NAME=value (letters, digits and _ in the name), found '{Shorten(line)}'.");
            }
            values[name] = ValueOf(line[(equals + 1)..].Trim());
        }
        return values;
    }

    private static string ValueOf(string raw)
    {
        if (raw.Length >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[^1] == raw[0])
        {
            var inner = raw[1..^1];
            return raw[0] == '"' ? inner.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal) : inner;
        }
        // an unquoted value ends at a comment
        var comment = raw.IndexOf(" #", StringComparison.Ordinal);
        return comment >= 0 ? raw[..comment].TrimEnd() : raw;
    }

    private static string Shorten(string line) => line.Length <= 40 ? line : line[..40] + "…";
}

/// <summary>A Google OAuth client file as the Cloud console downloads it: <c>{"installed"|"web": {client_id, client_secret}}</c>.</summary>
public static class GoogleClientFile
{
    public static (string ClientId, string ClientSecret) Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"GMAIL_CREDENTIALS_PATH names '{path}', which cannot be read ({e.Message}). Point it at the OAuth client file downloaded from Google Cloud, or set Gmail__ClientId and Gmail__ClientSecret instead.");
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var client = root.TryGetProperty("installed", out var installed) ? installed
                : root.TryGetProperty("web", out var web) ? web
                : root;
            var id = client.TryGetProperty("client_id", out var idValue) ? idValue.GetString() : null;
            var secret = client.TryGetProperty("client_secret", out var secretValue) ? secretValue.GetString() : null;
            if (!string.IsNullOrEmpty(id) && !string.IsNullOrEmpty(secret))
            {
                return (id, secret);
            }
        }
        catch (JsonException)
        {
        }
        throw new InvalidOperationException(
            $"GMAIL_CREDENTIALS_PATH: '{path}' is not a Google OAuth client file (expected {{\"installed\": {{\"client_id\": …, \"client_secret\": …}}}}). Download it from Google Cloud → Credentials, or set Gmail__ClientId and Gmail__ClientSecret instead.");
    }
}
