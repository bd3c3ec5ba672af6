using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages;

/// <summary>
/// The page every failed page request ends on (404, 403, 500, 503…): in the app's layout, saying what happened and
/// where to go, never an exception's text. Reached by re-execution, so it answers any method and needs no token.
/// </summary>
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class ErrorModel : PageModel
{
    public int Code { get; private set; }

    /// <summary>The address that failed, as the user asked for it.</summary>
    public string? OriginalPath { get; private set; }

    /// <summary>Quoted in the server's log with the error, so a report can be matched to it.</summary>
    public string RequestId { get; private set; } = "";

    /// <summary>Seconds to wait before trying again, when the failed answer said so (503).</summary>
    public string? RetryAfter { get; private set; }

    /// <summary>Why a 403 was refused, when a project's role was not enough (the role it needs).</summary>
    public string? Refusal => HttpContext.Items[AiOrchestra.Web.Projects.ProjectPageFilter.RefusalItem] as string;

    public IActionResult OnGet(int? code) => Show(code);

    public IActionResult OnPost(int? code) => Show(code);

    private IActionResult Show(int? code)
    {
        var reExecuted = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        var exception = HttpContext.Features.Get<IExceptionHandlerPathFeature>();
        Code = code is >= 400 and <= 599 ? code.Value : exception is not null ? StatusCodes.Status500InternalServerError : Response.StatusCode;
        if (Code < 400)
        {
            Code = StatusCodes.Status404NotFound;
        }
        OriginalPath = reExecuted?.OriginalPath ?? exception?.Path;
        RequestId = Activity.Current?.Id ?? HttpContext.TraceIdentifier;
        RetryAfter = Response.Headers.RetryAfter.ToString() is { Length: > 0 } retry ? retry : null;
        Response.StatusCode = Code;
        return Page();
    }

    public string Title => Code switch
    {
        StatusCodes.Status404NotFound => "Page not found",
        StatusCodes.Status403Forbidden => "Not allowed",
        StatusCodes.Status503ServiceUnavailable => "Temporarily unavailable",
        >= 500 => "Something went wrong",
        _ => "The request could not be handled",
    };
}
