using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.History;

/// <summary>
/// The administrator is the first account: the one created by the setup page or from <c>Admin:UserName</c>. Only
/// that account may download a copy of the whole database (everyone's workflows, runs and password hashes).
/// </summary>
public sealed class Administrators(IDbContextFactory<AppDbContext> contexts)
{
    public async Task<bool> IsAdministratorAsync(string? userId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(userId))
        {
            return false;
        }
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Identity's ids are random: SQLite's rowid keeps the order the accounts were created in
        var first = await db.Database.SqlQueryRaw<string>("SELECT Id AS Value FROM AspNetUsers ORDER BY rowid LIMIT 1")
            .ToListAsync(cancellationToken);
        return first.Count == 1 && first[0] == userId;
    }
}
