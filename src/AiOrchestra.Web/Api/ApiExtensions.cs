using System.Text.Json;
using System.Text.Json.Serialization;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Api.Auth;
using AiOrchestra.Web.Api.Prompts;
using AiOrchestra.Web.Api.Runs;
using AiOrchestra.Web.Api.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Scalar.AspNetCore;

namespace AiOrchestra.Web.Api;

/// <summary>The JSON API under <c>/api</c>: bearer-token auth, snake_case JSON, problem details, OpenAPI and its docs page.</summary>
public static class ApiExtensions
{
    /// <summary>Largest request body <c>/api</c> reads: the largest workflow document (1 MiB).</summary>
    public const long MaxBodyBytes = WorkflowLimits.MaxDocumentBytes;

    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.ConfigureHttpJsonOptions(options => Configure(options.SerializerOptions));
        services.Configure<RouteHandlerOptions>(options =>
        {
            // bad bodies (malformed JSON, wrong types, wrong content type, too large) become exceptions that
            // ApiExceptionHandler turns into problem details with their own status and a sentence saying what to fix
            options.ThrowOnBadRequest = true;
        });
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        // a client's bad body is answered, not an error of ours: keep it out of the error log
        services.Configure<ExceptionHandlerOptions>(options =>
            options.SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException);
        builder.AddApiAuthentication();
        services.AddOpenApi(options => options.AddDocumentTransformer<BearerSecurityTransformer>());
        return builder;
    }

    /// <summary>
    /// Maps every <c>/api</c> route, <c>/health</c>, <c>/openapi/v1.json</c> and <c>/api/docs</c>, with the middleware
    /// they need (errors as problem details, the body size limit). Call it right after
    /// <c>builder.Build()</c>, before other middleware, so its error handling sees every <c>/api</c> request.
    /// </summary>
    public static WebApplication MapApi(this WebApplication app)
    {
        app.UseWhen(IsApi, api =>
        {
            api.UseExceptionHandler();
            api.UseStatusCodePages();
            api.Use((context, next) =>
            {
                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                {
                    limit.MaxRequestBodySize = MaxBodyBytes;
                }
                return next(context);
            });
        });

        app.MapAuthApi();
        app.MapWorkflowsApi();
        app.MapPromptsApi();
        app.MapRunsApi();
        app.MapSystemApi();

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/api/docs", options => options
            .WithTitle("AI Orchestra API")
            // the page must work offline: no fonts from Scalar's CDN
            .DisableDefaultFonts()
            // the hosted service's toolbar ("Deploy", "Generate SDK"), its AI chat and MCP need scalar.com: hide them
            .HideDeveloperTools()
            .DisableAgent()
            .DisableMcp()
            .WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .AllowAnonymous();
        return app;
    }

    /// <summary>snake_case both ways, as the seed's JSON; unknown fields are an error, not silently dropped.</summary>
    internal static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
    }

    internal static bool IsApi(HttpContext context) => context.Request.Path.StartsWithSegments("/api");
}
