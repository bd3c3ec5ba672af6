using Microsoft.EntityFrameworkCore;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Users;

/// <summary>
/// Identity's user manager with the one rule of account creation: the first account is an administrator, whichever
/// way it is made (the setup page, <c>Admin:UserName</c>, a test). Later accounts are users until promoted. Every
/// account gets its personal project as it is made.
/// </summary>
public sealed class AppUserManager(
    IUserStore<AppUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<AppUser> passwordHasher,
    IEnumerable<IUserValidator<AppUser>> userValidators,
    IEnumerable<IPasswordValidator<AppUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<AppUser>> logger,
    AppDbContext db,
    AccountStates states,
    TimeProvider time)
    : UserManager<AppUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    public override async Task<IdentityResult> CreateAsync(AppUser user)
    {
        var first = !await db.Users.AnyAsync();
        var created = await base.CreateAsync(user);
        if (!created.Succeeded)
        {
            return created;
        }
        // everything a user makes lives in a project: theirs from the start, with their id as its id
        db.Projects.Add(new Projects.Project { Id = user.Id, Name = user.UserName ?? user.Id, PersonalUserId = user.Id, CreatedAt = time.GetUtcNow() });
        await db.SaveChangesAsync();
        return first ? await AddToRoleAsync(user, Roles.Administrator) : created;
    }

    /// <summary>Every change of an account (stamp, password, role, disabled, lockout) goes through here: its next request sees it.</summary>
    protected override async Task<IdentityResult> UpdateUserAsync(AppUser user)
    {
        var updated = await base.UpdateUserAsync(user);
        states.Forget(user.Id);
        return updated;
    }

    public override async Task<IdentityResult> DeleteAsync(AppUser user)
    {
        var deleted = await base.DeleteAsync(user);
        states.Forget(user.Id);
        return deleted;
    }
}
