using AiOrchestra.Web.Settings;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Settings;

/// <summary>Each integration's secrets (from the environment, stored, or missing; masked), setting one, testing a connection.</summary>
public sealed class IndexModel(IntegrationSettings settings, SecretStore secrets, IEnumerable<IIntegrationCheck> checks) : PageModel
{
    public IntegrationSettings Settings => settings;

    public string? Message { get; private set; }
    public string? TestedIntegration { get; private set; }
    public string? TestResult { get; private set; }

    public void OnGet()
    {
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
