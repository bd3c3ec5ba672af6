using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace AiOrchestra.Web.Api.Auth;

/// <summary>
/// The HS256 key that signs API tokens: the configured <c>Auth:SigningKey</c>, or a random key generated on
/// first start and kept in <c>data/signing-key</c> so tokens survive a restart. Never a key written in the code.
/// </summary>
public sealed class SigningKey
{
    private const int MinimumBytes = 32;

    public SigningKey(AuthOptions options, string dataDirectory)
    {
        Key = new SymmetricSecurityKey(Load(options.SigningKey, Path.Combine(dataDirectory, "signing-key")));
    }

    public SymmetricSecurityKey Key { get; }

    private static byte[] Load(string? configured, string file)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            var bytes = Encoding.UTF8.GetBytes(configured);
            return bytes.Length >= MinimumBytes
                ? bytes
                : throw new InvalidOperationException(
                    $"Auth:SigningKey is {bytes.Length} bytes long; HS256 needs at least {MinimumBytes}. Set a longer key or remove it to have one generated under data/.");
        }
        if (File.Exists(file))
        {
            return Convert.FromBase64String(File.ReadAllText(file).Trim());
        }
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var generated = RandomNumberGenerator.GetBytes(64);
        File.WriteAllText(file, Convert.ToBase64String(generated));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return generated;
    }
}
