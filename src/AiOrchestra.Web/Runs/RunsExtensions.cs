using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.SubWorkflow;
using AiOrchestra.Web.Hosting;
using Microsoft.Extensions.Options;

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
            // live events, approvals' wake-ups and runs' ends between the processes (see RunEventRelay)
            services.AddSingleton<Data.Postgres.RunEventRelay>();
            services.AddHostedService(sp => sp.GetRequiredService<Data.Postgres.RunEventRelay>());
        }
        services.AddSingleton<RunCancellations>();
        services.AddSingleton<RunEvents>();
        services.AddSingleton<LiveStreams>();
        services.AddSingleton<CurrentVersions>();
        services.AddSingleton<RunQueue>();
        services.AddSingleton<RunResumption>();
        services.AddSingleton<FailureHandlerStarter>();
        services.AddScoped<RunStore>();
        services.AddSingleton<Pins.StepPins>();
        services.AddSingleton<Pins.StepRuns>();
        // the workflow step type: sub-workflows as child runs, executed inline in the parent's worker (see ChildRuns)
        services.AddSingleton<ChildRuns>();
        services.AddSingleton<IChildRuns>(sp => sp.GetRequiredService<ChildRuns>());
        // what an agent step's model learns of the workflows it may call as tools (run as child runs too)
        services.AddSingleton<Engine.Steps.Agent.IWorkflowTools, Workflows.WorkflowTools>();
        services.AddSingleton<IStepType>(sp => new SubWorkflowStep(
            sp.GetRequiredService<IChildRuns>(), sp.GetRequiredService<IOptions<RunOptions>>().Value.MaxWorkflowDepth));
        // the writer is registered before the worker: hosted services stop in reverse order, so it writes the worker's last steps
        services.AddSingleton<RunWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<RunWriter>());
        services.AddHostedService<RunWorker>();
        // approvals and waits: answered through RunApprovals, woken when due by the sweeper (which stops before the writer)
        services.AddSingleton<RunApprovals>();
        services.AddSingleton<WaitSweeper>();
        services.AddHostedServiceInBackground<WaitSweeper>();
        return builder;
    }
}
