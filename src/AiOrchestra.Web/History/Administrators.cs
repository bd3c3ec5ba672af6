using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.History;

/// <summary>
/// The administrator is the first account: the one created by the setup page or from <c>Admin:UserName</c>. Only
/// that account may download a copy of the whole database (everyone's workflows, runs and password hashes).
/// </summary>
public sealed class Administrators(IDbContextFactory<AppDbContext> contexts, StoreSql sql)
{
    public async Task<bool> IsAdministratorAsync(string? userId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(userId))
        {
            return false;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var first = await db.Database.SqlQueryRaw<string>(sql.FirstUserId)
            .ToListAsync(cancellationToken);
        return first.Count == 1 && first[0] == userId;
    }
}
