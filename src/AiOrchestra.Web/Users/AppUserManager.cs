using Microsoft.EntityFrameworkCore;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Users;

/// <summary>
/// Identity's user manager with the one rule of account creation: the first account is an administrator, whichever
/// way it is made (the setup page, <c>Admin:UserName</c>, a test). Later accounts are users until promoted.
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
    AccountStates states)
    : UserManager<AppUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    public override async Task<IdentityResult> CreateAsync(AppUser user)
    {
        var first = !await db.Users.AnyAsync();
        var created = await base.CreateAsync(user);
        return created.Succeeded && first ? await AddToRoleAsync(user, Roles.Administrator) : created;
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
