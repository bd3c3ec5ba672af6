using AiOrchestra.Web.Account;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace AiOrchestra.Web.Tests.Users;

/// <summary>The lockout on the password page ends the account's sessions with a new stamp; a parallel save of the same row must not make it lose that.</summary>
public sealed class StampRetryTests(UsersHost host) : IClassFixture<UsersHost>
{
    [Fact]
    public async Task A_new_stamp_is_saved_even_when_another_request_saved_the_account_in_between()
    {
        var name = UsersHost.NewName("stamp");
        await host.CreateUserAsync(name);
        await using var scope = host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var stale = (await users.FindByNameAsync(name))!;
        var before = stale.SecurityStamp;
        // another request counts a failure meanwhile: the row's concurrency stamp moves on
        await using (var other = host.Services.CreateAsyncScope())
        {
            var otherUsers = other.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            Assert.True((await otherUsers.AccessFailedAsync((await otherUsers.FindByNameAsync(name))!)).Succeeded);
        }

        var saved = await scope.ServiceProvider.GetRequiredService<PasswordCheck>().NewStampAsync(stale);

        Assert.True(saved.Succeeded, string.Join(" ", saved.Errors.Select(e => e.Code)));
        var now = await host.FindAsync(name);
        Assert.NotEqual(before, now!.SecurityStamp);
        // the failure counted in between is kept
        Assert.Equal(1, now.AccessFailedCount);
    }
}
