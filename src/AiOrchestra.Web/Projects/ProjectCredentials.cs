using System.Collections.Concurrent;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Web.Audit;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Projects;

/// <summary>
/// Each project's own integration credentials, stored encrypted (Data Protection) in <c>project_credentials</c>, and
/// whether the project may use the instance's (environment, appsettings, the instance's stored values). A run reads its
/// project's through <see cref="IntegrationSecrets.Use"/>: read from the store once per project and kept decrypted in
/// memory, so a run's steps read no row; a save in this process replaces them at once, another process's within
/// <see cref="Fresh"/>.
/// </summary>
public sealed class ProjectCredentials(IDbContextFactory<AppDbContext> contexts, IDataProtectionProvider protection, IntegrationSecrets secrets, AuditLog audit, TimeProvider time)
{
    public const int MaxValueLength = 8192;

    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(30);

    private readonly IDataProtector _protector = protection.CreateProtector("AiOrchestra.Projects.Credentials");
    private readonly ConcurrentDictionary<string, (Task<CredentialScope> Scope, DateTimeOffset ReadAt)> _known = new(StringComparer.Ordinal);

    /// <summary>The project's credentials as its runs read them.</summary>
    public Task<CredentialScope> ScopeAsync(string projectId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_known.TryGetValue(projectId, out var known) && now - known.ReadAt < Fresh && !known.Scope.IsFaulted && !known.Scope.IsCanceled)
        {
            return known.Scope;
        }
        var loading = LoadAsync(projectId, cancellationToken);
        _known[projectId] = (loading, now);
        return loading;
    }

    private async Task<CredentialScope> LoadAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var usesInstance = await db.Projects.Where(p => p.Id == projectId).Select(p => (bool?)p.UsesInstanceCredentials).FirstOrDefaultAsync(cancellationToken) ?? true;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in await db.ProjectCredentials.AsNoTracking().Where(c => c.ProjectId == projectId).ToListAsync(cancellationToken))
        {
            try
            {
                values[row.Key] = _protector.Unprotect(row.Ciphertext);
                // every project's secrets are redacted from every text, as the instance's are
                secrets.AddIssued(values[row.Key], row.Key);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // the keys under data/keys/ were replaced: the value must be saved again
            }
        }
        return new CredentialScope(key => values.GetValueOrDefault(key), usesInstance);
    }

    /// <summary>The keys the project has its own value of.</summary>
    public async Task<HashSet<string>> KeysAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.ProjectCredentials.Where(c => c.ProjectId == projectId).Select(c => c.Key).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
    }

    public async Task SetAsync(string projectId, string key, string value, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.ProjectCredentials.FirstOrDefaultAsync(c => c.ProjectId == projectId && c.Key == key, cancellationToken);
        if (row is null)
        {
            db.ProjectCredentials.Add(new ProjectCredential { ProjectId = projectId, Key = key, Ciphertext = _protector.Protect(value), UpdatedAt = time.GetUtcNow() });
        }
        else
        {
            row.Ciphertext = _protector.Protect(value);
            row.UpdatedAt = time.GetUtcNow();
        }
        await db.SaveChangesAsync(cancellationToken);
        Forget(projectId);
        await audit.WriteAsync("credential.saved", key, $"project {projectId}", cancellationToken: cancellationToken);
    }

    public async Task RemoveAsync(string projectId, string key, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.ProjectCredentials.Where(c => c.ProjectId == projectId && c.Key == key).ExecuteDeleteAsync(cancellationToken) > 0)
        {
            await audit.WriteAsync("credential.removed", key, $"project {projectId}", cancellationToken: cancellationToken);
        }
        Forget(projectId);
    }

    /// <summary>An instance administrator's choice: may the project's steps use the instance's credentials where it has none of its own?</summary>
    public async Task SetUsesInstanceAsync(string projectId, bool uses, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Projects.Where(p => p.Id == projectId).ExecuteUpdateAsync(s => s.SetProperty(p => p.UsesInstanceCredentials, uses), cancellationToken);
        Forget(projectId);
        await audit.WriteAsync("project.instance_credentials", projectId, uses ? "allowed" : "not allowed", cancellationToken: cancellationToken);
    }

    public void Forget(string projectId) => _known.TryRemove(projectId, out _);
}
