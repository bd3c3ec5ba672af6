using System.Security.Claims;
using AiOrchestra.Web.Settings;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Settings;

/// <summary>Each integration's secrets (from the environment, stored, or missing; masked), setting one, testing a connection.</summary>
public sealed class IndexModel(IntegrationSettings settings, SecretStore secrets, IEnumerable<IIntegrationCheck> checks, GmailAuthorization gmail) : PageModel
{
    public IntegrationSettings Settings => settings;

    public string? Message { get; private set; }
    public string? TestedIntegration { get; private set; }
    public string? TestResult { get; private set; }

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
            Message = problem;
            return Page();
        }
        return Redirect(url);
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
        Message = settings.SourceOf(key) == SecretSource.Environment
            ? $"Stored {key}; the value from the environment is still the one used."
            : $"Stored {key}.";
        return Page();
    }

    public async Task<IActionResult> OnPostTestAsync(string integration, CancellationToken cancellationToken)
    {
        TestedIntegration = integration;
        var check = checks.FirstOrDefault(c => c.Integration == integration);
        if (check is null)
        {
            TestResult = "No connection test is available for this integration.";
        }
        else
        {
            try
            {
                TestResult = await check.TestAsync(cancellationToken) is { } problem ? "Failed: " + problem : "Connected.";
            }
            catch (HttpRequestException e)
            {
                TestResult = "Failed: " + e.Message;
            }
        }
        Response.VaryOnHtmx();
        return Request.IsHtmx() ? Content(TestResult, "text/plain") : Page();
    }
}
