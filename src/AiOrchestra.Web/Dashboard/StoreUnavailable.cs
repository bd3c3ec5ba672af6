using System.Globalization;
using AiOrchestra.Web.Api;
using AiOrchestra.Web.Data;

namespace AiOrchestra.Web.Dashboard;

/// <summary>
/// A page whose database write fails for a passing reason (disk full, a lock held too long) answers 503 with
/// <c>Retry-After</c> and one sentence saying so, instead of an empty 500. The API has its own answer, as problem details.
/// </summary>
public static class StoreUnavailable
{
    public static WebApplication UseStoreUnavailable(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (StoreFailures.IsStorageFailure(e) && !ApiExtensions.IsApi(context) && !context.Response.HasStarted)
            {
                context.RequestServices.GetRequiredService<StoreFailures>().Failed();
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StoreUnavailable))
                    .LogError("{Method} {Path} could not be stored: {Reason}", context.Request.Method, context.Request.Path, e.Message);
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = ((int)StoreFailures.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(
                    $"{StoreFailures.Message(e)} Try again in {(int)StoreFailures.RetryAfter.TotalSeconds} seconds.", context.RequestAborted);
            }
        });
        return app;
    }
}
