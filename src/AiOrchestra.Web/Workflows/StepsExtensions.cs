using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Http;
using AiOrchestra.Engine.Steps.Prompt;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Workflows;

public static class StepsExtensions
{
    /// <summary>
    /// The step catalog, the validator and executor that read it, and the step types. Adding a step type is one
    /// <c>AddSingleton&lt;IStepType, …&gt;()</c> line here.
    /// </summary>
    public static WebApplicationBuilder AddSteps(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<StepCatalog>();
        services.AddSingleton<WorkflowValidator>();
        services.AddSingleton(sp =>
        {
            var runs = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Runs.RunOptions>>().Value;
            return new WorkflowExecutor(sp.GetRequiredService<StepCatalog>(), sp.GetRequiredService<TimeProvider>())
            {
                Limits = new ExecutionLimits { MaxLoopItems = runs.MaxLoopItems, MaxConcurrency = runs.Concurrency },
            };
        });
        services.AddSingleton<IStepType, TemplateStep>();
        services.AddSingleton<IStepType, PromptStep>();
        services.AddHttpClient(nameof(HttpStep));
        services.AddSingleton<IStepType>(sp => new HttpStep(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(HttpStep)), sp.GetRequiredService<TimeProvider>()));
        return builder;
    }
}
