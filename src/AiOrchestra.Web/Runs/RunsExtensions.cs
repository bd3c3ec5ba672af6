namespace AiOrchestra.Web.Runs;

public static class RunsExtensions
{
    /// <summary>Durable runs: the queue, the single writer, the worker (<c>Runs:Concurrency</c>), live events and the history.</summary>
    public static WebApplicationBuilder AddRuns(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RunOptions>().BindConfiguration(RunOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RunSignal>();
        services.AddSingleton<WorkerName>();
        if (Data.DatabaseProviders.ReadOrDefault(builder.Configuration) == Data.DatabaseProvider.Postgres)
        {
            services.AddHealthChecks().AddCheck<QueueShare>(QueueShare.Name);
            services.AddSingleton<Data.Postgres.PostgresNotifications>();
            services.AddHostedService(sp => sp.GetRequiredService<Data.Postgres.PostgresNotifications>());
        }
        services.AddSingleton<RunCancellations>();
        services.AddSingleton<RunEvents>();
        services.AddSingleton<LiveStreams>();
        services.AddSingleton<RunQueue>();
        services.AddSingleton<FailureHandlerStarter>();
        services.AddScoped<RunStore>();
        // the writer is registered before the worker: hosted services stop in reverse order, so it writes the worker's last steps
        services.AddSingleton<RunWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<RunWriter>());
        services.AddHostedService<RunWorker>();
        return builder;
    }
}
