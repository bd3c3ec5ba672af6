using AiOrchestra.Web.Data;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace AiOrchestra.Web.Settings;

/// <summary>
/// Integration secrets set from the Settings page, kept in <c>data/secrets.json</c> encrypted with ASP.NET Core Data
/// Protection (keys under <c>data/keys/</c>). The file holds only ciphertext; nothing here is ever logged.
/// </summary>
public sealed class SecretStore
{
    private readonly IDataProtector _protector;
    private readonly string _file;
    private readonly Lock _lock = new();
    private Dictionary<string, string>? _encrypted;

    // Written only under _lock, so a value being decrypted cannot outlive the Set or Remove that replaces it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> _decrypted = new(StringComparer.Ordinal);

    public SecretStore(IDataProtectionProvider protection, IHostEnvironment environment, IConfiguration configuration)
    {
        _protector = protection.CreateProtector("AiOrchestra.Settings.Secrets");
        _file = Path.Combine(AppData.Folder(configuration, environment), "secrets.json");
    }

    /// <summary>A secret was set or removed: whoever redacts secrets' values reads them again.</summary>
    public event Action? Changed;

    /// <summary>The stored value of a configuration key such as <c>OpenAI:ApiKey</c>, or null when none is stored.</summary>
    public string? Get(string key)
    {
        // Every step failure scrubs its error text of all secrets: decrypt each once, not on every read.
        if (_decrypted.TryGetValue(key, out var known))
        {
            return known;
        }
        lock (_lock)
        {
            if (_decrypted.TryGetValue(key, out known))
            {
                return known;
            }
            var value = Decrypt(key);
            _decrypted[key] = value;
            return value;
        }
    }

    private string? Decrypt(string key)
    {
        if (!Load().TryGetValue(key, out var cipher))
        {
            return null;
        }
        try
        {
            return _protector.Unprotect(cipher);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // the keys under data/keys/ were replaced: the stored value can no longer be read and must be set again
            return null;
        }
    }

    public bool Has(string key)
    {
        lock (_lock)
        {
            return Load().ContainsKey(key);
        }
    }

    /// <summary>Stores (or replaces) a secret, encrypted; the file is written whole through a temporary file.</summary>
    public void Set(string key, string value)
    {
        lock (_lock)
        {
            var secrets = Load();
            secrets[key] = _protector.Protect(value);
            Save(secrets);
            _decrypted[key] = value;
        }
        Changed?.Invoke();
    }

    public void Remove(string key)
    {
        lock (_lock)
        {
            var secrets = Load();
            if (secrets.Remove(key))
            {
                Save(secrets);
            }
            _decrypted.TryRemove(key, out _);
        }
        Changed?.Invoke();
    }

    private Dictionary<string, string> Load()
    {
        if (_encrypted is not null)
        {
            return _encrypted;
        }
        _encrypted = File.Exists(_file)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(_file)) ?? []
            : [];
        return _encrypted;
    }

    private void Save(Dictionary<string, string> secrets)
    {
        PrivateFiles.Folder(Path.GetDirectoryName(_file)!);
        var temporary = _file + ".tmp";
        PrivateFiles.WriteAllText(temporary, JsonSerializer.Serialize(secrets));
        File.Move(temporary, _file, overwrite: true);
    }
}
