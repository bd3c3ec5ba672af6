using AiOrchestra.Web.Audit;
using System.Security.Cryptography;
using System.Text;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Users;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Tokens;

/// <summary>A user's personal access tokens: made (shown once), listed with their last use, revoked.</summary>
public sealed class PersonalTokens(AppDbContext db, AccountStates states, TimeProvider time, AuditLog audit, Projects.ProjectAccess projects)
{
    public const int MaxPerUser = 50;
    public const int MaxDays = 365;

    public async Task<List<PersonalAccessToken>> ListAsync(string userId, CancellationToken cancellationToken) =>
        await db.PersonalAccessTokens.AsNoTracking().Where(t => t.UserId == userId)
            .OrderByDescending(t => t.Id).ToListAsync(cancellationToken);

    /// <summary>The new token (to show once), or what is wrong with the request, by field.</summary>
    public async Task<(string? Token, Dictionary<string, string> Errors)> CreateAsync(
        string userId, string? name, IReadOnlyCollection<string> scopes, int? days, CancellationToken cancellationToken, string? projectId = null)
    {
        var errors = new Dictionary<string, string>();
        // a token works in one project: the personal one (null) or a shared one the user is in
        projectId = string.IsNullOrEmpty(projectId) || projectId == userId ? null : projectId;
        if (projectId is not null && (projectId.Length > 36 || await projects.SeatAsync(userId, projectId, cancellationToken) is null))
        {
            errors["project"] = "Choose one of your projects for the token.";
        }
        name = name?.Trim() ?? "";
        if (name.Length is 0 or > 100)
        {
            errors["name"] = "Give the token a name of 1 to 100 characters, saying what uses it (e.g. 'CI deploy').";
        }
        var unknown = scopes.Where(s => !TokenScopes.All.Contains(s)).ToList();
        if (scopes.Count == 0 || unknown.Count > 0)
        {
            errors["scopes"] = $"Choose at least one scope of {string.Join(", ", TokenScopes.All)}"
                + (unknown.Count > 0 ? $"; '{string.Join("', '", unknown)}' is not one." : ".");
        }
        else if (scopes.Contains(TokenScopes.Admin) && await states.GetAsync(userId, null, cancellationToken) is not { IsAdministrator: true })
        {
            errors["scopes"] = "Only administrators may make tokens with the 'admin' scope.";
        }
        if (days is not (>= 1 and <= MaxDays))
        {
            errors["days"] = $"Choose an expiry between 1 and {MaxDays} days.";
        }
        if (await db.PersonalAccessTokens.CountAsync(t => t.UserId == userId && t.RevokedAt == null, cancellationToken) >= MaxPerUser)
        {
            errors["name"] = $"You have {MaxPerUser} tokens already: revoke one you no longer use first.";
        }
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        var token = PersonalTokenHandler.Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        db.PersonalAccessTokens.Add(new PersonalAccessToken
        {
            UserId = userId,
            Name = name,
            Scopes = string.Join(' ', TokenScopes.All.Where(scopes.Contains)),
            ProjectId = projectId,
            TokenHash = Hash(token),
            CreatedAt = now,
            ExpiresAt = now.AddDays(days!.Value),
        });
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync("token.created", name, $"scopes {string.Join(' ', TokenScopes.All.Where(scopes.Contains))}, expires {now.AddDays(days.Value):yyyy-MM-dd}", cancellationToken: cancellationToken);
        return (token, errors);
    }

    /// <summary>Revokes one of the user's tokens; the next request with it is refused. False when there is no such token of theirs.</summary>
    public async Task<bool> RevokeAsync(string userId, long id, CancellationToken cancellationToken)
    {
        var name = await db.PersonalAccessTokens.Where(t => t.Id == id && t.UserId == userId && t.RevokedAt == null).Select(t => t.Name).FirstOrDefaultAsync(cancellationToken);
        var revoked = name is not null && await db.PersonalAccessTokens.Where(t => t.Id == id && t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, time.GetUtcNow()), cancellationToken) == 1;
        if (revoked)
        {
            await audit.WriteAsync("token.revoked", name!, cancellationToken: cancellationToken);
        }
        return revoked;
    }

    internal static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
