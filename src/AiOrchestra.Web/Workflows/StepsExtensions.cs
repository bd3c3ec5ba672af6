using AiOrchestra.Engine.Execution;
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
        services.AddSingleton<WorkflowExecutor>();
        return builder;
    }
}
