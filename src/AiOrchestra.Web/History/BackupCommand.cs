using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.History;

/// <summary><c>backup FILE</c>: a consistent copy of the configured database, safe while the server runs.</summary>
internal static class BackupCommand
{
    public const string Name = "backup";

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (args.Length != 2)
        {
            await error.WriteLineAsync("usage: AiOrchestra.Web backup FILE   copy the database to FILE (a new file), safe while the app runs");
            return 2;
        }
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(cancellationToken);
        if (services.GetRequiredService<StoreSql>().Provider == DatabaseProvider.Postgres)
        {
            await error.WriteLineAsync(Data.Postgres.PostgresBackup.Guidance(db.Database.GetConnectionString()!, args[1]));
            return 1;
        }
        var problem = await DatabaseBackup.WriteAsync(db.Database.GetConnectionString(), args[1], cancellationToken);
        if (problem is not null)
        {
            await error.WriteLineAsync(problem);
            return 1;
        }
        await output.WriteLineAsync($"Backed up the database to {Path.GetFullPath(args[1])}.");
        return 0;
    }
}
