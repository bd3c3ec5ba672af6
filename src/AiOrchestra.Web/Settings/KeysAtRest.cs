using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace AiOrchestra.Web.Settings;

/// <summary>
/// Where the Data Protection keys (which encrypt the stored secrets and the login cookies) are kept, and whether they
/// are themselves encrypted at rest: with the certificate of <c>DataProtection:CertificatePath</c> when one is set,
/// otherwise only the data folder's file permissions protect them.
/// </summary>
public sealed record KeysAtRest(string Folder, string? CertificatePath)
{
    public const string CertificatePathKey = "DataProtection:CertificatePath";
    public const string CertificatePasswordKey = "DataProtection:CertificatePassword";

    public bool Encrypted => CertificatePath is not null;

    /// <summary>The one line logged at start when the keys are not encrypted.</summary>
    public string UnencryptedNotice =>
        $"Data Protection keys in {Folder} are not encrypted at rest: anyone who can read that folder can decrypt the stored secrets. "
        + "Set DataProtection__CertificatePath (a .pfx with its private key) and DataProtection__CertificatePassword to encrypt them (README, Configuration).";
}

public static class KeysAtRestExtensions
{
    /// <summary>
    /// Data Protection with its keys under <c>data/keys/</c>, encrypted with the configured certificate. A certificate
    /// that cannot be read stops the start with one line saying why; without one, the framework's per-key warning is
    /// replaced by one line that says what it means and what to set.
    /// </summary>
    public static WebApplicationBuilder AddDataProtectionKeys(this WebApplicationBuilder builder)
    {
        // the data folder and keys/ are private to the app's user (0700)
        var dataFolder = PrivateFiles.Folder(AppData.Folder(builder.Configuration, builder.Environment));
        var folder = Path.Combine(dataFolder.FullName, "keys");
        var protection = builder.Services.AddDataProtection().SetApplicationName("AiOrchestra");
        if (DatabaseProviders.ReadOrDefault(builder.Configuration) == DatabaseProvider.Postgres)
        {
            // every process on the database reads the same key ring: a cookie or a stored secret works on any of them
            protection.PersistKeysToDbContext<AppDbContext>();
            folder = "the database (table DataProtectionKeys)";
        }
        else
        {
            protection.PersistKeysToFileSystem(PrivateFiles.Folder(folder));
        }

        var path = builder.Configuration[KeysAtRest.CertificatePathKey] is { Length: > 0 } given
            ? Path.GetFullPath(given, builder.Environment.ContentRootPath)
            : null;
        builder.Services.AddSingleton(new KeysAtRest(folder, path));
        if (path is null)
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
            builder.Services.AddHostedService<UnencryptedKeysNotice>();
            return builder;
        }

        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, builder.Configuration[KeysAtRest.CertificatePasswordKey]);
            if (!certificate.HasPrivateKey)
            {
                throw new CryptographicException("it holds no private key");
            }
            // decrypting uses this certificate too, so it need not be in the machine's certificate store
            protection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
        catch (CryptographicException e)
        {
            FailAtStart(builder, $"{KeysAtRest.CertificatePathKey}: {path} cannot be used ({e.Message.TrimEnd('.')}). "
                + "Give a .pfx file with its private key and its password in DataProtection__CertificatePassword, or unset it.");
        }
        catch (IOException e)
        {
            FailAtStart(builder, $"{KeysAtRest.CertificatePathKey}: {path} cannot be read ({e.Message.TrimEnd('.')}). Give the path of a .pfx file, or unset it.");
        }
        return builder;
    }

    // configuration is checked when the host starts, so the failure is reported like the other settings' (one line, exit 1)
    private static void FailAtStart(WebApplicationBuilder builder, string problem) =>
        builder.Services.AddOptions<KeyManagementOptions>().Validate(_ => false, problem).ValidateOnStart();

    private sealed class UnencryptedKeysNotice(KeysAtRest keys, ILogger<KeysAtRest> log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            log.LogWarning("{Notice}", keys.UnencryptedNotice);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
