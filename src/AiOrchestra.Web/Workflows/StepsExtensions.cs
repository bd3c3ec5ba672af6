using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Http;
using AiOrchestra.Engine.Steps.Prompt;
using AiOrchestra.Engine.Steps.Template;
using AiOrchestra.Engine.Steps.Transform;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Runs;
using Microsoft.Extensions.Options;
using AiOrchestra.Web.Outbound;

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
        // the Runs section's time limits, output caps, loop size and concurrency (RunOptions is bound by AddRuns)
        services.AddSingleton(sp => new WorkflowExecutor(
            sp.GetRequiredService<StepCatalog>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<RunOptions>>().Value.ToLimits()));
        services.AddSingleton<IStepType, TemplateStep>();
        services.AddSingleton<IStepType, PromptStep>();
        services.AddSingleton<IStepType, TransformStep>();
        // addresses typed into workflows: every connection passes the outbound policy
        services.AddHttpClient(nameof(HttpStep)).UseOutboundPolicy();
        services.AddSingleton<IStepType>(sp => new HttpStep(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(HttpStep)), sp.GetRequiredService<TimeProvider>()));
        return builder;
    }
}
