using AiOrchestra.Web.Audit;
using System.Security.Claims;
using AiOrchestra.Web.Settings;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Settings;

/// <summary>Each integration's secrets (from the environment, stored, or missing; masked), setting one, testing a connection.</summary>
public sealed class IndexModel(
    IntegrationSettings settings, SecretStore secrets, IEnumerable<IIntegrationCheck> checks, GmailAuthorization gmail, ILogger<IndexModel> log, AuditLog audit) : PageModel
{
    public IntegrationSettings Settings => settings;

    public string? Message { get; private set; }
    public string? TestedIntegration { get; private set; }
    public string? TestResult { get; private set; }
    public bool TestFailed { get; private set; }

    /// <summary>Why "Authorize with Google" could not start, shown beside that button.</summary>
    public string? GmailProblem { get; private set; }

    /// <param name="authorized">Set by the Gmail callback once the refresh token is stored.</param>
    public void OnGet(string? authorized)
    {
        if (authorized == "gmail")
        {
            Message = settings.SourceOf("Gmail:RefreshToken") == SecretSource.Environment
                ? "Gmail is authorized and its refresh token is stored; the one from the environment is still the one used."
                : "Gmail is authorized: its refresh token is stored encrypted.";
        }
    }

    /// <summary>Sends the browser to Google to grant read-only Gmail access (the answer comes back to GmailCallback).</summary>
    public IActionResult OnPostAuthorizeGmail()
    {
        var (url, problem) = gmail.Start(User.FindFirstValue(ClaimTypes.NameIdentifier)!, gmail.RedirectUrl(Request));
        if (url is null)
        {
            GmailProblem = problem;
            Response.VaryOnHtmx();
            return Request.IsHtmx() ? Partial("_GmailProblem", this) : Page();
        }
        // htmx is told to leave the page for Google's (a fetch cannot follow a redirect to another site)
        return this.NavigateTo(url);
    }

    public IActionResult OnPostSave(string key)
    {
        // read from the form, not bound as an argument: MVC's trace log writes handler arguments out
        var value = Request.Form["Value"].ToString();
        if (!IntegrationSettings.IsKnownKey(key))
        {
            return BadRequest($"'{key}' is not an integration setting.");
        }
        if (string.IsNullOrWhiteSpace(value))
        {
            Message = "Type a value to store.";
            return Page();
        }
        secrets.Set(key, value.Trim());
        audit.Write("credential.saved", key);
        Message = settings.SourceOf(key) == SecretSource.Environment
            ? $"Stored {key}; the value from the environment is still the one used."
            : $"Stored {key}.";
        return Page();
    }

    public async Task<IActionResult> OnPostTestAsync(string integration, CancellationToken cancellationToken)
    {
        TestedIntegration = integration;
        var check = checks.FirstOrDefault(c => c.Integration == integration);
        var problem = check is null
            ? "no connection test is available for this integration."
            : await check.TestAsync(cancellationToken);
        TestFailed = problem is not null;
        TestResult = problem is null ? "Connected." : "Failed: " + problem;
        if (problem is not null)
        {
            // the one line a failed check writes (the check itself sends a single attempt and logs nothing)
            log.LogWarning("Connection test of {Integration} failed: {Problem}", integration, problem);
        }
        Response.VaryOnHtmx();
        return Request.IsHtmx() ? Partial("_TestResult", this) : Page();
    }
}
