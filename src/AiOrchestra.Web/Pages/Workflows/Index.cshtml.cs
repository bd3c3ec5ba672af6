using AiOrchestra.Web.Projects;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Workflows;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Workflows;

[ProjectRights(ProjectRole.Editor)]
public sealed class IndexModel(WorkflowStore store, WorkflowValidator validator) : PageModel
{
    private const long MaxImportBytes = 1024 * 1024;

    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Query { get; set; }

    public IReadOnlyList<WorkflowSummary> Workflows { get; private set; } = [];

    public IReadOnlyList<ValidationError> ImportErrors { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        Response.VaryOnHtmx();
        return Request.IsHtmx() ? Partial("_List", this) : Page();
    }

    public async Task<IActionResult> OnPostImportAsync(IFormFile? file, CancellationToken cancellationToken)
    {
        if (file is null || file.Length == 0)
        {
            ImportErrors = [new ValidationError("", "Choose a workflow JSON file to import.")];
        }
        else if (file.Length > MaxImportBytes)
        {
            ImportErrors = [new ValidationError("", $"The file is {file.Length / 1024} KB; a workflow file may be at most {MaxImportBytes / 1024} KB.")];
        }
        else
        {
            using var reader = new StreamReader(file.OpenReadStream());
            var parsed = WorkflowJson.Parse(await reader.ReadToEndAsync(cancellationToken));
            if (!parsed.Succeeded)
            {
                // the reader's errors and the validator's, all at once
                ImportErrors = validator.Validate(parsed);
            }
            else
            {
                var saved = await store.SaveAsync(User.OwnerId(), parsed.Workflow!, cancellationToken);
                if (saved.Succeeded)
                {
                    return Redirect("/Workflows/Edit/" + Uri.EscapeDataString(parsed.Workflow!.WorkflowId));
                }
                ImportErrors = saved.Errors;
            }
        }
        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var all = await store.ListAsync(User.OwnerId(), cancellationToken);
        var query = Query?.Trim();
        Workflows = string.IsNullOrEmpty(query)
            ? all
            : all.Where(w => w.WorkflowId.Contains(query, StringComparison.OrdinalIgnoreCase)
                             || w.Name.Contains(query, StringComparison.OrdinalIgnoreCase)
                             || (w.Description?.Contains(query, StringComparison.OrdinalIgnoreCase) ?? false)).ToList();
    }
}
