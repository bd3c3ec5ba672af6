using System.Security.Cryptography;
using System.Text;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace AiOrchestra.Web.Api.Auth;

/// <summary>
/// The HS256 key that signs API tokens: the configured <c>Auth:SigningKey</c>, or a random key generated on
/// first start and kept in <c>data/signing-key</c> so tokens survive a restart. Never a key written in the code.
/// </summary>
public sealed class SigningKey
{
    private const int MinimumBytes = 32;

    // Keys printed in the original project's and popular templates' sample settings: anyone can sign tokens with them.
    private static readonly string[] PublishedDefaults =
    [
        "change-me-in-production", "changeme", "change-me", "change_me", "secret", "secret-key", "secretkey",
        "your-secret-key", "your-secret-key-here", "your_secret_key", "your_secret_key_here", "supersecretkey",
        "super-secret-key", "please-change-me", "insecure-secret-key",
    ];

    private readonly Lazy<SymmetricSecurityKey> _key;

    /// <param name="sharedIn">
    /// On PostgreSQL, the database's connection string: a generated key is kept there (table shared_keys) so that a token
    /// from one process works on every other. Read at first use, after start-up has migrated the database.
    /// </param>
    public SigningKey(AuthOptions options, string dataDirectory, string? sharedIn = null)
    {
        if (string.IsNullOrEmpty(options.SigningKey) && sharedIn is not null)
        {
            _key = new(() => new SymmetricSecurityKey(LoadShared(sharedIn)));
            return;
        }
        var key = new SymmetricSecurityKey(Load(options.SigningKey, Path.Combine(dataDirectory, "signing-key")));
        _key = new(key);
    }

    public SymmetricSecurityKey Key => _key.Value;

    /// <summary>The first process to need a key stores one; every process reads the one stored.</summary>
    private static byte[] LoadShared(string connectionString)
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand(
            """
            INSERT INTO shared_keys (name, value) VALUES ('api-signing-key', @generated) ON CONFLICT (name) DO NOTHING;
            SELECT value FROM shared_keys WHERE name = 'api-signing-key';
            """, connection);
        command.Parameters.AddWithValue("generated", Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)));
        return Convert.FromBase64String((string)command.ExecuteScalar()!);
    }

    private static byte[] Load(string? configured, string file)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            if (PublishedDefaults.Contains(configured.Trim(), StringComparer.OrdinalIgnoreCase))
            {
                throw new StartupProblem(
                    $"Auth:SigningKey (or the original's SECRET_KEY) is '{configured.Trim()}', a published sample value: anyone could sign API tokens with it. Set a long random value (e.g. `openssl rand -base64 48`), or remove it to have one generated under data/.");
            }
            var bytes = Encoding.UTF8.GetBytes(configured);
            return bytes.Length >= MinimumBytes
                ? bytes
                : throw new StartupProblem(
                    $"Auth:SigningKey is {bytes.Length} bytes long; HS256 needs at least {MinimumBytes}. Set a longer key or remove it to have one generated under data/.");
        }
        if (File.Exists(file))
        {
            return Read(file);
        }
        PrivateFiles.Folder(Path.GetDirectoryName(file)!);
        var generated = RandomNumberGenerator.GetBytes(64);
        // written aside and moved in place, so a second process starting at the same time reads a whole key or makes none
        var temporary = $"{file}.{Guid.NewGuid():N}.tmp";
        PrivateFiles.WriteAllText(temporary, Convert.ToBase64String(generated));
        try
        {
            File.Move(temporary, file, overwrite: false);
            return generated;
        }
        catch (IOException) when (File.Exists(file))
        {
            File.Delete(temporary);
            return Read(file);
        }
    }

    private static byte[] Read(string file)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(File.ReadAllText(file).Trim());
        }
        catch (FormatException)
        {
            key = [];
        }
        return key.Length >= MinimumBytes
            ? key
            : throw new StartupProblem(
                $"The signing key in {file} is damaged. Delete the file to have a new one generated (tokens issued so far stop working), or set Auth:SigningKey.");
    }
}
