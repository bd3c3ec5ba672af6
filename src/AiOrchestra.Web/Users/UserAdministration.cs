using System.Security.Cryptography;
using System.Text;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Users;

/// <summary>One account as the Users page lists it.</summary>
public sealed record UserRow(string Id, string UserName, bool IsAdministrator, bool Disabled, bool MustChangePassword, bool HasPassword, DateTimeOffset? InvitedUntil);

/// <summary>
/// What administrators do to accounts: add (by invitation or with a first password), disable and enable, make or
/// unmake administrators, reset a password, delete (handing everything the account owns to another). Each method
/// returns null when done, or a sentence saying why nothing changed. There is always one enabled administrator who can
/// sign in: the last one cannot be disabled, demoted or deleted.
/// </summary>
public sealed class UserAdministration(AppDbContext db, UserManager<AppUser> users, TimeProvider time)
{
    // the last-administrator rule reads, then writes: two administrators demoting each other at once must not both win
    private static readonly SemaphoreSlim Changes = new(1, 1);

    public async Task<List<UserRow>> ListAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = await db.Users.AsNoTracking()
            .OrderBy(u => u.UserName)
            .Select(u => new
            {
                u.Id, u.UserName, u.Disabled, u.MustChangePassword, HasPassword = u.PasswordHash != null,
                Admin = db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == Roles.AdministratorId),
            })
            .ToListAsync(cancellationToken);
        var open = await db.Invitations.AsNoTracking().Where(i => i.AcceptedAt == null && i.ExpiresAt > now)
            .Select(i => new { i.UserId, i.ExpiresAt }).ToListAsync(cancellationToken);
        return rows.Select(u => new UserRow(u.Id, u.UserName ?? "", u.Admin, u.Disabled, u.MustChangePassword, u.HasPassword,
                open.Where(i => i.UserId == u.Id).Select(i => (DateTimeOffset?)i.ExpiresAt).Max()))
            .ToList();
    }

    /// <summary>Creates an account with no password and an invitation link for it: the new user chooses their password with it.</summary>
    public async Task<(string? Token, string? Error)> InviteAsync(string userName, bool administrator, string invitedBy, CancellationToken cancellationToken)
    {
        var user = new AppUser { UserName = userName.Trim() };
        if (await CreateAsync(user, password: null, administrator) is { } error)
        {
            return (null, error);
        }
        return (await NewInvitationAsync(user.Id, invitedBy, cancellationToken), null);
    }

    /// <summary>A new link for an account that has not accepted its invitation yet; earlier links stop working.</summary>
    public async Task<(string? Token, string? Error)> ReinviteAsync(string userId, string invitedBy, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return (null, "That account no longer exists.");
        }
        if (user.PasswordHash is not null)
        {
            return (null, $"{user.UserName} has a password already: reset it instead of inviting them again.");
        }
        await db.Invitations.Where(i => i.UserId == userId && i.AcceptedAt == null).ExecuteDeleteAsync(cancellationToken);
        return (await NewInvitationAsync(userId, invitedBy, cancellationToken), null);
    }

    /// <summary>Creates an account with a password the administrator chose; the user must change it when they first sign in.</summary>
    public async Task<string?> AddWithPasswordAsync(string userName, string password, bool administrator)
    {
        if (password.Length == 0)
        {
            return "Choose a first password for the new user, or invite them with a link instead.";
        }
        return await CreateAsync(new AppUser { UserName = userName.Trim(), MustChangePassword = true }, password, administrator);
    }

    public async Task<string?> SetDisabledAsync(string actorId, string userId, bool disabled, CancellationToken cancellationToken) =>
        await ChangeAsync(userId, cancellationToken, async user =>
        {
            if (disabled && user.Id == actorId)
            {
                return "You cannot disable your own account; another administrator can.";
            }
            if (disabled && await IsLastAdministratorAsync(user, cancellationToken))
            {
                return $"{user.UserName} is the last administrator who can sign in: make another administrator first.";
            }
            if (user.Disabled == disabled)
            {
                return null;
            }
            user.Disabled = disabled;
            // a new stamp ends every session and token of the account, also the ones a later re-enabling would revive
            if (disabled)
            {
                await users.UpdateSecurityStampAsync(user);
            }
            return Errors(await users.UpdateAsync(user));
        });

    public async Task<string?> SetAdministratorAsync(string userId, bool administrator, CancellationToken cancellationToken) =>
        await ChangeAsync(userId, cancellationToken, async user =>
        {
            var now = await users.IsInRoleAsync(user, Roles.Administrator);
            if (now == administrator)
            {
                return null;
            }
            if (!administrator && await IsLastAdministratorAsync(user, cancellationToken))
            {
                return $"{user.UserName} is the last administrator who can sign in: make another administrator first.";
            }
            return Errors(administrator
                ? await users.AddToRoleAsync(user, Roles.Administrator)
                : await users.RemoveFromRoleAsync(user, Roles.Administrator));
        });

    /// <summary>Sets a password the administrator chose: the account's sessions and tokens end, and the user must choose a new one when they sign in.</summary>
    public async Task<string?> ResetPasswordAsync(string userId, string password, CancellationToken cancellationToken) =>
        await ChangeAsync(userId, cancellationToken, async user =>
        {
            if (password.Length == 0)
            {
                return "Type the new password to give the user.";
            }
            foreach (var validator in users.PasswordValidators)
            {
                if (Errors(await validator.ValidateAsync(users, user, password)) is { } invalid)
                {
                    return invalid;
                }
            }
            await users.RemovePasswordAsync(user);
            if (Errors(await users.AddPasswordAsync(user, password)) is { } error)
            {
                return error;
            }
            user.MustChangePassword = true;
            await users.SetLockoutEndDateAsync(user, null);
            await users.ResetAccessFailedCountAsync(user);
            // the invitation of an account that never accepted it would otherwise set a second password later
            await db.Invitations.Where(i => i.UserId == user.Id && i.AcceptedAt == null).ExecuteDeleteAsync(cancellationToken);
            return Errors(await users.UpdateAsync(user));
        });

    /// <summary>
    /// Deletes an account after handing its workflows (with their versions and triggers), prompts and runs to
    /// <paramref name="recipientId"/>. Refused, with nothing changed, when the recipient already has a workflow or
    /// prompt of the same id: those would otherwise be lost or merged.
    /// </summary>
    public async Task<string?> DeleteAsync(string actorId, string userId, string recipientId, CancellationToken cancellationToken) =>
        await ChangeAsync(userId, cancellationToken, async user =>
        {
            if (user.Id == actorId)
            {
                return "You cannot delete your own account; another administrator can.";
            }
            if (string.IsNullOrEmpty(recipientId) || recipientId == user.Id)
            {
                return $"Choose who receives {user.UserName}'s workflows, prompts and runs.";
            }
            var recipient = await users.FindByIdAsync(recipientId);
            if (recipient is null)
            {
                return "The account chosen to receive the workflows no longer exists; choose another.";
            }
            if (await IsLastAdministratorAsync(user, cancellationToken))
            {
                return $"{user.UserName} is the last administrator who can sign in: make another administrator first.";
            }
            var workflowClashes = await db.Workflows.Where(w => w.OwnerId == user.Id
                    && db.Workflows.Any(r => r.OwnerId == recipient.Id && r.WorkflowId == w.WorkflowId))
                .Select(w => w.WorkflowId).OrderBy(id => id).ToListAsync(cancellationToken);
            var promptClashes = await db.Prompts.Where(p => p.OwnerId == user.Id
                    && db.Prompts.Any(r => r.OwnerId == recipient.Id && r.TemplateId == p.TemplateId))
                .Select(p => p.TemplateId).OrderBy(id => id).ToListAsync(cancellationToken);
            if (workflowClashes.Count + promptClashes.Count > 0)
            {
                var clashes = new List<string>();
                if (workflowClashes.Count > 0)
                {
                    clashes.Add("workflows " + string.Join(", ", workflowClashes.Select(id => $"'{id}'")));
                }
                if (promptClashes.Count > 0)
                {
                    clashes.Add("prompts " + string.Join(", ", promptClashes.Select(id => $"'{id}'")));
                }
                return $"{recipient.UserName} already has {string.Join(" and ", clashes)} (deleted ones count: their runs are kept). "
                    + $"Rename or delete one of each pair, or choose another recipient; nothing was deleted.";
            }

            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Workflows.Where(w => w.OwnerId == user.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.OwnerId, recipient.Id), cancellationToken);
            await db.Prompts.Where(p => p.OwnerId == user.Id).ExecuteUpdateAsync(s => s.SetProperty(p => p.OwnerId, recipient.Id), cancellationToken);
            await db.Runs.Where(r => r.OwnerId == user.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.OwnerId, recipient.Id), cancellationToken);
            await db.TriggerStates.Where(t => t.OwnerId == user.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.OwnerId, recipient.Id), cancellationToken);
            if (Errors(await users.DeleteAsync(user)) is { } error)
            {
                return error;
            }
            await transaction.CommitAsync(cancellationToken);
            return null;
        });

    /// <summary>Used by the invitation page: the account of a link, and why the link cannot be used when it cannot.</summary>
    public async Task<(Invitation? Invitation, AppUser? User, string? Refusal)> FindInvitationAsync(string? token, CancellationToken cancellationToken)
    {
        var hash = string.IsNullOrEmpty(token) ? "" : Hash(token);
        var invitation = hash.Length == 0 ? null : await db.Invitations.FirstOrDefaultAsync(i => i.TokenHash == hash, cancellationToken);
        var user = invitation is null ? null : await users.FindByIdAsync(invitation.UserId);
        if (invitation is null || user is null)
        {
            return (null, null, "This invitation link is not valid: check that it was copied whole, or ask an administrator for a new one.");
        }
        if (invitation.AcceptedAt is { } accepted)
        {
            return (null, null, $"This invitation was already used on {accepted:yyyy-MM-dd HH:mm} UTC. Log in with the password chosen then, or ask an administrator for a new invitation.");
        }
        if (invitation.ExpiresAt <= time.GetUtcNow())
        {
            return (null, null, $"This invitation expired on {invitation.ExpiresAt:yyyy-MM-dd HH:mm} UTC (invitations are valid for {Invitation.Lifetime.TotalDays:0} days). Ask an administrator for a new one.");
        }
        return (invitation, user, null);
    }

    /// <summary>Sets the invited user's first password and uses the invitation up.</summary>
    public async Task<IdentityResult> AcceptAsync(Invitation invitation, AppUser user, string password, CancellationToken cancellationToken)
    {
        // claimed first, so two submissions of one link cannot both set a password
        var claimed = await db.Invitations.Where(i => i.Id == invitation.Id && i.AcceptedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.AcceptedAt, time.GetUtcNow()), cancellationToken);
        if (claimed == 0)
        {
            return IdentityResult.Failed(new IdentityError { Description = "This invitation was used a moment ago: log in with the password chosen then." });
        }
        var added = await users.AddPasswordAsync(user, password);
        if (!added.Succeeded)
        {
            await db.Invitations.Where(i => i.Id == invitation.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.AcceptedAt, (DateTimeOffset?)null), cancellationToken);
        }
        return added;
    }

    private async Task<string?> CreateAsync(AppUser user, string? password, bool administrator)
    {
        if (string.IsNullOrWhiteSpace(user.UserName))
        {
            return "Give the new user a user name.";
        }
        var created = password is null ? await users.CreateAsync(user) : await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            return Errors(created);
        }
        return administrator && !await users.IsInRoleAsync(user, Roles.Administrator)
            ? Errors(await users.AddToRoleAsync(user, Roles.Administrator))
            : null;
    }

    private async Task<string> NewInvitationAsync(string userId, string invitedBy, CancellationToken cancellationToken)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        db.Invitations.Add(new Invitation
        {
            UserId = userId, TokenHash = Hash(token), CreatedBy = invitedBy, CreatedAt = now, ExpiresAt = now + Invitation.Lifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return token;
    }

    /// <summary>Whether taking <paramref name="user"/> away would leave no enabled administrator who can sign in.</summary>
    private async Task<bool> IsLastAdministratorAsync(AppUser user, CancellationToken cancellationToken)
    {
        if (!await users.IsInRoleAsync(user, Roles.Administrator))
        {
            return false;
        }
        return !await db.Users.AnyAsync(u => u.Id != user.Id && !u.Disabled && u.PasswordHash != null
            && db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == Roles.AdministratorId), cancellationToken);
    }

    private async Task<string?> ChangeAsync(string userId, CancellationToken cancellationToken, Func<AppUser, Task<string?>> change)
    {
        await Changes.WaitAsync(cancellationToken);
        try
        {
            var user = await users.FindByIdAsync(userId);
            return user is null ? "That account no longer exists." : await change(user);
        }
        finally
        {
            Changes.Release();
        }
    }

    private static string? Errors(IdentityResult result) =>
        result.Succeeded ? null : string.Join(" ", result.Errors.Select(e => e.Description));

    internal static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
