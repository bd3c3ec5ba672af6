using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Api.Auth;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiOrchestra.Web.Api;

/// <summary><c>/health</c> (anonymous) and <c>/api/steps</c>, the step catalog with each action's parameters.</summary>
public static class SystemApi
{
    public sealed record StepTypeJson(string Name, string Description, IReadOnlyList<StepActionJson> Actions);

    /// <summary>An action; <c>also_accepted</c> lists the original AI-Orchestra's names for it.</summary>
    public sealed record StepActionJson(string Name, string Description, IReadOnlyList<StepParameterJson> Parameters, IReadOnlyList<string> AlsoAccepted);

    public sealed record StepParameterJson(string Name, string Type, bool Required, string Description, bool Secret, IReadOnlyList<string> AlsoAccepted);

    public static IEndpointRouteBuilder MapSystemApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync })
            .AllowAnonymous()
            .WithTags("System");
        app.MapGet("/api/steps", Steps)
            .WithTags("System")
            .RequireAuthorization(ApiAuthentication.Policy)
            .WithSummary("The step types, their actions and each action's parameters");
        return app;
    }

    private static Ok<List<StepTypeJson>> Steps(StepCatalog catalog) => TypedResults.Ok(catalog.Types
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .Select(t => new StepTypeJson(t.Name, t.Description, t.Actions
            .Select(a => new StepActionJson(a.Name, a.Description, a.Parameters
                .Select(p => new StepParameterJson(p.Name, p.Type.ToString().ToLowerInvariant(), p.Required, p.Description, p.Secret,
                    OriginalNames.ParameterNamesFor(t.Name, a.Name, p.Name).ToList()))
                .ToList(), OriginalNames.ActionNamesFor(t.Name, a.Name).ToList()))
            .ToList()))
        .ToList());

    /// <summary>Overall status and each check's, with no exception text (it could name a path or a connection string).</summary>
    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            database = context.RequestServices.GetRequiredService<Data.StoreSql>().Provider.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString().ToLowerInvariant()),
            // PostgreSQL: this process's share of the runs in flight (several processes share the queue)
            queue = report.Entries.TryGetValue(AiOrchestra.Web.Runs.QueueShare.Name, out var queue) ? queue.Data : null,
        });
    }
}
