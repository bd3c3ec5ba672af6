using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AiOrchestra.Web.Hosting;
using AiOrchestra.Web.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Settings;

/// <summary>The Data Protection keys are encrypted at rest with the certificate of DataProtection:CertificatePath.</summary>
public sealed class KeysAtRestTests : IDisposable
{
    private const string Password = "pfx-password";

    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "aiorchestra-keys-" + Guid.NewGuid().ToString("N"))).FullName;

    private string KeysFolder => Path.Combine(_folder, "keys");

    [Fact]
    public async Task With_a_certificate_the_key_file_holds_only_ciphertext_and_a_restart_still_reads_the_secrets()
    {
        var pfx = WriteCertificate();
        var settings = new Dictionary<string, string?> { ["DataProtection:CertificatePath"] = pfx, ["DataProtection:CertificatePassword"] = Password };

        string protectedText;
        await using (var first = App(settings))
        {
            protectedText = Protector(first).Protect("the secret");
            Assert.True(first.Services.GetRequiredService<KeysAtRest>().Encrypted);
        }
        await using var restarted = App(settings);

        var key = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(KeysFolder, "key-*.xml")));
        Assert.Contains("EncryptedData", key);
        Assert.DoesNotContain("unencrypted form", key);
        Assert.Equal("the secret", Protector(restarted).Unprotect(protectedText));
    }

    [Fact]
    public async Task Without_a_certificate_the_key_is_stored_unencrypted_and_the_app_says_so()
    {
        await using var app = App([]);

        Protector(app).Protect("the secret");

        var keys = app.Services.GetRequiredService<KeysAtRest>();
        Assert.False(keys.Encrypted);
        Assert.Contains("unencrypted form", await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(KeysFolder, "key-*.xml"))));
        Assert.Contains(KeysFolder, keys.UnencryptedNotice);
        Assert.Contains("DataProtection__CertificatePath", keys.UnencryptedNotice);
    }

    [Theory]
    [InlineData("missing.pfx", Password)]
    [InlineData("cert.pfx", "wrong password")]
    public async Task A_certificate_that_cannot_be_used_stops_the_start_with_one_line_naming_it(string file, string password)
    {
        WriteCertificate();
        var path = Path.Combine(_folder, file);
        await using var app = App(new() { ["DataProtection:CertificatePath"] = path, ["DataProtection:CertificatePassword"] = password });

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());

        var line = ServerConsole.Explain(failure);
        Assert.NotNull(line);
        Assert.DoesNotContain('\n', line);
        Assert.Contains($"DataProtection:CertificatePath: {path}", line);
    }

    private WebApplication App(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = _folder, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["DataFolder"] = _folder, ["urls"] = "http://127.0.0.1:0" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddDataProtectionKeys();
        return builder.Build();
    }

    private static IDataProtector Protector(WebApplication app) =>
        app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("KeysAtRestTests");

    private string WriteCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=AI Orchestra keys", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(_folder, "cert.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, Password));
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // the OS temp cleaner takes it
        }
    }
}
