using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Audit;
using System.Security.Claims;
using AiOrchestra.Engine.Execution;
using AiOrchestra.Engine.Steps.Connectors;
using AiOrchestra.Engine.Steps.Gmail;
using AiOrchestra.Engine.Steps.Integrations;
using AiOrchestra.Web.History;
using AiOrchestra.Web.Plugins;
using AiOrchestra.Web.Settings;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Settings;

/// <summary>Each integration's secrets (from the environment, stored, or missing; masked), setting one, testing a connection.</summary>
[ProjectRights(ProjectRole.Admin, View = ProjectRole.Admin)]
public sealed class IndexModel(
    IntegrationSettings settings, SecretStore secrets, IEnumerable<ConnectionCheck> checks, GmailAuthorization gmail, StepCatalog catalog,
    PluginSet plugins, ConnectorSet connectors, Administrators administrators, ILogger<IndexModel> log, AuditLog audit,
    ProjectCredentials credentials) : PageModel
{
    /// <summary>The current project's credentials, as its runs read them.</summary>
    public CredentialScope Project { get; private set; } = new(_ => null, UsesInstance: true);

    /// <summary>Instance administrators store the instance's defaults, choose whether a project may use them, and see them masked.</summary>
    public bool InstanceAdministrator { get; private set; }

    public override async Task OnPageHandlerExecutionAsync(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context, Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutionDelegate next)
    {
        Project = await credentials.ScopeAsync(User.OwnerId(), HttpContext.RequestAborted);
        InstanceAdministrator = await administrators.IsAdministratorAsync(User.FindFirstValue(ClaimTypes.NameIdentifier), HttpContext.RequestAborted);
        await next();
    }

    /// <summary>Where a credential the project's steps use comes from, as a badge's class and text.</summary>
    public (string Source, string Text) Status(string key)
    {
        if (Project.Own(key) is not null)
        {
            return ("project", "this project's");
        }
        var source = settings.SourceOf(key);
        if (source == SecretSource.Missing)
        {
            return ("missing", "missing");
        }
        var where = source == SecretSource.Environment ? "configured from environment" : "stored";
        return Project.UsesInstance ? (source.ToString().ToLowerInvariant(), $"instance default, {where}") : ("missing", $"missing (the instance's, {where}, is not allowed here)");
    }

    /// <summary>A credential's value as shown: the project's own (a secret masked), else the instance's masked to instance administrators only.</summary>
    public string Shown(IntegrationCredential credential)
    {
        if (Project.Own(credential.Key) is { } own)
        {
            return credential.Secret ? IntegrationSettings.Mask(own) : own;
        }
        if (!Project.UsesInstance || settings.SourceOf(credential.Key) == SecretSource.Missing)
        {
            return "";
        }
        return credential.Secret && !InstanceAdministrator ? "(the instance's)" : settings.Shown(credential);
    }

    /// <summary>The connectors loaded at start-up (a saved or replaced file counts from the next start).</summary>
    public ConnectorSet Connectors => connectors;

    /// <summary>Why an uploaded connector file was refused, each naming its field.</summary>
    public IReadOnlyList<string> ConnectorErrors { get; private set; } = [];

    public IntegrationSettings Settings => settings;

    /// <summary>Connector files and plugins that did not load and step types refused for a taken name, each with its reason.</summary>
    public IEnumerable<string> StepTypeProblems => settings.ConnectorProblems.Concat(plugins.Problems).Concat(catalog.Refused.Select(r => r.Reason));

    /// <summary>The step types plugins added, with the plugin each came from.</summary>
    public IEnumerable<PluginStep> PluginSteps => catalog.Types.OfType<PluginStep>();

    /// <summary>Whether the integration declares a connection check (connectors declare none).</summary>
    public bool HasCheck(string integration) => checks.Any(c => c.Integration == integration);

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
            Message = "Gmail is authorized for this project: its refresh token is stored encrypted, and its runs read this account.";
        }
    }

    /// <summary>Sends the browser to Google to grant read-only Gmail access (the answer comes back to GmailCallback).</summary>
    public async Task<IActionResult> OnPostAuthorizeGmailAsync(CancellationToken cancellationToken)
    {
        var (url, problem) = await gmail.StartAsync(User.FindFirstValue(ClaimTypes.NameIdentifier)!, User.OwnerId(), gmail.RedirectUrl(Request), cancellationToken);
        if (url is null)
        {
            GmailProblem = problem;
            Response.VaryOnHtmx();
            return Request.IsHtmx() ? Partial("_GmailProblem", this) : Page();
        }
        // htmx is told to leave the page for Google's (a fetch cannot follow a redirect to another site)
        return this.NavigateTo(url);
    }

    public async Task<IActionResult> OnPostSaveAsync(string key, string? scope, CancellationToken cancellationToken)
    {
        // read from the form, not bound as an argument: MVC's trace log writes handler arguments out
        var value = Request.Form["Value"].ToString();
        if (!settings.IsKnownKey(key))
        {
            return BadRequest($"'{key}' is not an integration setting.");
        }
        if (string.IsNullOrWhiteSpace(value))
        {
            Message = "Type a value to store.";
            return Page();
        }
        if (scope != "instance")
        {
            await credentials.SetAsync(User.OwnerId(), key, value.Trim(), cancellationToken);
            Project = await credentials.ScopeAsync(User.OwnerId(), cancellationToken);
            Message = $"Stored {key} for this project: its runs use it.";
            return Page();
        }
        if (!InstanceAdministrator)
        {
            return StatusCode(StatusCodes.Status403Forbidden, "Only an instance administrator may store the instance's default credentials.");
        }
        secrets.Set(key, value.Trim());
        audit.Write("credential.saved", key);
        Message = settings.SourceOf(key) == SecretSource.Environment
            ? $"Stored {key}; the value from the environment is still the one used."
            : $"Stored {key}.";
        return Page();
    }

    /// <summary>Removes the project's own value: its runs then use the instance's, when the project may.</summary>
    public async Task<IActionResult> OnPostRemoveAsync(string key, CancellationToken cancellationToken)
    {
        if (!settings.IsKnownKey(key))
        {
            return BadRequest($"'{key}' is not an integration setting.");
        }
        await credentials.RemoveAsync(User.OwnerId(), key, cancellationToken);
        Project = await credentials.ScopeAsync(User.OwnerId(), cancellationToken);
        Message = $"Removed this project's {key}.";
        return Page();
    }

    /// <summary>An instance administrator allows (or stops) the project's use of the instance's credentials.</summary>
    public async Task<IActionResult> OnPostInstanceDefaultsAsync(bool allow, CancellationToken cancellationToken)
    {
        if (!InstanceAdministrator)
        {
            return StatusCode(StatusCodes.Status403Forbidden, "Only an instance administrator may choose whether a project uses the instance's credentials.");
        }
        await credentials.SetUsesInstanceAsync(User.OwnerId(), allow, cancellationToken);
        Project = await credentials.ScopeAsync(User.OwnerId(), cancellationToken);
        Message = allow ? "This project's steps may use the instance's credentials where it has none of its own." : "This project's steps use only its own credentials.";
        return Page();
    }

    /// <summary>
    /// An administrator uploads a connector file: checked as the start-up checks it, then saved in the connectors folder
    /// under its connector's name (never the uploaded file's name); it becomes a step type at the next start.
    /// </summary>
    public async Task<IActionResult> OnPostUploadConnectorAsync(IFormFile? file, CancellationToken cancellationToken)
    {
        if (!await administrators.IsAdministratorAsync(User.FindFirstValue(ClaimTypes.NameIdentifier), cancellationToken))
        {
            return StatusCode(StatusCodes.Status403Forbidden, "Only the administrator can add connectors.");
        }
        if (file is null || file.Length == 0)
        {
            ConnectorErrors = ["Choose a connector JSON file to upload."];
            return Page();
        }
        if (file.Length > ConnectorFile.MaxBytes)
        {
            ConnectorErrors = [$"The file is {file.Length / 1024} KB; a connector file may be at most {ConnectorFile.MaxBytes / 1024} KB."];
            return Page();
        }
        using var reader = new StreamReader(file.OpenReadStream());
        var text = await reader.ReadToEndAsync(cancellationToken);
        var (connector, errors) = ConnectorFile.Read(file.FileName, text);
        if (connector is null)
        {
            ConnectorErrors = errors;
            return Page();
        }
        var loaded = connectors.Connectors.FirstOrDefault(c => c.Name == connector.Name);
        if (loaded is null && catalog.Find(connector.Name) is { } taken)
        {
            ConnectorErrors = [$"{Path.GetFileName(file.FileName)}: connector: \"{connector.Name}\" is already a step type ({taken.Description}); choose another name"];
            return Page();
        }
        var target = loaded?.File ?? Path.Combine(connectors.Folder, connector.Name + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await System.IO.File.WriteAllTextAsync(target, text, cancellationToken);
        log.LogInformation("Connector {Connector} saved to {File} from the Settings page", connector.Name, target);
        Message = loaded is null
            ? $"Saved {Path.GetFileName(target)}: restart the app to add the step type \"{connector.Name}\" ({connector.Actions.Count} action(s)); its credentials then appear here."
            : $"Replaced {Path.GetFileName(target)}: restart the app to use the new version of \"{connector.Name}\".";
        return Page();
    }

    public async Task<IActionResult> OnPostTestAsync(string integration, CancellationToken cancellationToken)
    {
        TestedIntegration = integration;
        var check = checks.FirstOrDefault(c => c.Integration == integration);
        string? problem;
        // tested with the credentials the project's runs would use
        using (IntegrationSecrets.Use(Project))
        {
            problem = check is null
                ? "no connection test is available for this integration."
                : await check.TestAsync(cancellationToken);
        }
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
