using AiOrchestra.Web.Data;
using AiOrchestra.Web.Tests.Store;
using AiOrchestra.Web.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AiOrchestra.Web.Tests.Users;

[Trait("Provider", "sqlite")] // an upgrade through SQLite's migrations; PostgreSQL's start at today's schema
public sealed class RoleMigrationTests
{
    [Fact]
    public async Task The_account_that_existed_first_becomes_the_administrator_and_the_others_users()
    {
        using var database = new TempDatabase(sqliteOnly: true, empty: true);
        var options = new DbContextOptionsBuilder<AppDbContext>().UseSqlite(database.ConnectionString).Options;
        await using (var db = new AppDbContext(options))
        {
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync("20261130072935_PromptVersions");
            // ids in the opposite order of creation: the rowid, not the id, says who came first
            foreach (var (id, name) in new[] { ("zzz-first", "first"), ("aaa-second", "second") })
            {
                await db.Database.ExecuteSqlRawAsync(
                    "INSERT INTO AspNetUsers (Id, UserName, NormalizedUserName, EmailConfirmed, PhoneNumberConfirmed, TwoFactorEnabled, LockoutEnabled, AccessFailedCount) VALUES ({0}, {1}, {2}, 0, 0, 0, 1, 0)",
                    id, name, name.ToUpperInvariant());
            }

            await migrator.MigrateAsync();
        }

        await using (var db = new AppDbContext(options))
        {
            var administrators = await db.UserRoles.Where(r => r.RoleId == Roles.AdministratorId).Select(r => r.UserId).ToListAsync();
            Assert.Equal(["zzz-first"], administrators);
            Assert.Equal(Roles.Administrator, (await db.Roles.SingleAsync(r => r.Id == Roles.AdministratorId)).Name);
            Assert.False(await db.Users.AnyAsync(u => u.Disabled || u.MustChangePassword));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
