using AiOrchestra.Engine.Prompts;
using AiOrchestra.Web.Prompts;
using AiOrchestra.Web.Workflows;
using AiOrchestra.Web.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AiOrchestra.Web.Data;

public static class StoreExtensions
{
    public const string DefaultConnectionString = "Data Source=data/aiorchestra.db";

    /// <summary>
    /// The store: one SQLite file (the default; a relative file is under the content root) or a PostgreSQL database
    /// (<c>Database:Provider</c> = <c>postgres</c>), both named by <c>ConnectionStrings:Default</c>, Identity's user
    /// store, the workflow and prompt stores, and the start-up step that migrates, creates the admin and loads examples.
    /// </summary>
    public static WebApplicationBuilder AddStore(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configured = builder.Configuration.GetConnectionString("Default");
        DatabaseProvider provider;
        try
        {
            provider = DatabaseProviders.Read(builder.Configuration);
        }
        catch (StartupProblem problem)
        {
            // reported when the host starts, like every other setting (one line, exit code 1)
            services.AddOptions<StoreProblem>().Validate(_ => false, problem.Message).ValidateOnStart();
            provider = DatabaseProvider.Sqlite;
        }
        services.AddSingleton(StoreSql.For(provider));
        if (provider == DatabaseProvider.Postgres)
        {
            var connectionString = configured ?? "";
            services.AddPooledDbContextFactory<AppDbContext>(options => options
                .UseNpgsql(connectionString)
                .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)));
        }
        else
        {
            var connectionString = ResolveConnectionString(configured ?? DefaultConnectionString, builder.Environment.ContentRootPath);
            services.AddPooledDbContextFactory<AppDbContext>(options => options
                .UseSqlite(connectionString)
                // built ahead by `dotnet ef dbcontext optimize` (README, schema changes): building the model at start
                // was a third of the start-up's CPU; CompiledModelTests fails when it no longer matches the model
                .UseModel(CompiledModels.AppDbContextModel.Instance)
                .AddInterceptors(new SqlitePragmas(builder.Configuration.GetValue<int>("Database:MaxSizeMegabytes")))
                // Migrating would otherwise diff the model against the snapshot at every start (~4 MB resident for good);
                // DatabaseTests.The_model_has_no_changes_missing_from_the_migrations checks it instead.
                .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)));
        }
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext());
        services.AddIdentityCore<AppUser>()
            .AddRoles<Microsoft.AspNetCore.Identity.IdentityRole>()
            .AddUserManager<Users.AppUserManager>()
            .AddEntityFrameworkStores<AppDbContext>();
        services.AddScoped<Account.PasswordCheck>();
        services.AddSingleton<Users.AccountStates>();
        services.AddHttpContextAccessor();
        services.AddSingleton<Audit.AuditLog>();
        services.AddSingleton<StoreFailures>();
        services.AddHealthChecks().AddDbContextCheck<AppDbContext>().AddCheck<StoreFailures>(StoreFailures.HealthCheckName);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<WorkflowVersionCache>();
        services.AddScoped<WorkflowStore>();
        services.AddSingleton<SubWorkflowCheck>();
        services.AddScoped<PromptStore>();
        services.AddSingleton<IPromptLibrary, StoredPromptLibrary>();
        services.AddSingleton<Examples>();
        services.AddHostedService<StoreStartup>();
        return builder;
    }

    private sealed class StoreProblem;

    /// <summary>A relative SQLite file is placed under the content root, not the process's working directory.</summary>
    internal static string ResolveConnectionString(string connectionString, string contentRoot)
    {
        var settings = new SqliteConnectionStringBuilder(connectionString);
        var file = settings.DataSource;
        if (file.Length > 0 && file != ":memory:" && !file.StartsWith("file:", StringComparison.Ordinal) && !Path.IsPathRooted(file))
        {
            settings.DataSource = Path.GetFullPath(Path.Combine(contentRoot, file));
        }
        return settings.ToString();
    }

    /// <summary>Creates the folder of the SQLite file and the file itself, both readable by their owner only.</summary>
    internal static void EnsureDataFolder(string? connectionString)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        var folder = Path.IsPathRooted(file) ? Path.GetDirectoryName(file) : null;
        if (!string.IsNullOrEmpty(folder))
        {
            PrivateFiles.Folder(folder);
            PrivateFiles.CreateDatabase(file);
        }
    }
}
