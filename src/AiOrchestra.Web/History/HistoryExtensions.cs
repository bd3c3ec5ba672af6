using System.Security.Claims;
using AiOrchestra.Web.Dashboard;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Hosting;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.History;

public static class HistoryExtensions
{
    /// <summary>Bounded run history (<c>Retention:*</c>, checked at start-up), its clean-up in the background, and backups.</summary>
    public static WebApplicationBuilder AddHistory(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.FailedDays is null || o.FailedDays >= o.Days,
                "Retention:FailedDays must be at least Retention:Days: it keeps failed runs longer than the others, not shorter.")
            .ValidateOnStart();
        services.AddSingleton<HistoryPruner>();
        services.AddSingleton<HistoryStatus>();
        services.AddSingleton<Administrators>();
        services.AddSingleton<HistoryCleaner>();
        services.AddHostedServiceInBackground<HistoryCleaner>();
        return builder;
    }

    /// <summary><c>GET /Settings/Backup</c>: the administrator downloads a consistent copy of the database.</summary>
    public static WebApplication MapHistory(this WebApplication app)
    {
        app.MapGet("/Settings/Backup", DownloadAsync).RequireAuthorization(DashboardExtensions.Policy);
        return app;
    }

    private static async Task<IResult> DownloadAsync(
        ClaimsPrincipal user, Administrators administrators, IDbContextFactory<AppDbContext> contexts, StoreSql sql, IConfiguration configuration,
        IHostEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!await administrators.IsAdministratorAsync(user.FindFirstValue(ClaimTypes.NameIdentifier), cancellationToken))
        {
            return Results.Text("Only administrators can download a backup of the database.", statusCode: StatusCodes.Status403Forbidden);
        }
        if (sql.Provider == DatabaseProvider.Postgres)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            return Results.Problem(Data.Postgres.PostgresBackup.Guidance(db.Database.GetConnectionString()!, "aiorchestra.dump"),
                title: "Back up PostgreSQL with pg_dump", statusCode: StatusCodes.Status409Conflict);
        }
        // beside the database: the same disk has room for a copy, a small temporary folder may not
        var file = Path.Combine(AppData.Folder(configuration, environment), $"backup-{Guid.NewGuid():N}.db");
        string? connectionString;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            connectionString = db.Database.GetConnectionString();
        }
        var problem = await DatabaseBackup.WriteAsync(connectionString, file, cancellationToken);
        if (problem is not null)
        {
            File.Delete(file);
            return Results.Problem(problem, statusCode: StatusCodes.Status500InternalServerError);
        }
        var copy = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        return Results.File(copy, "application/vnd.sqlite3", $"aiorchestra-{time.GetUtcNow():yyyyMMdd-HHmmss}.db");
    }
}
