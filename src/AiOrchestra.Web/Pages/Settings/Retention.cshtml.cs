using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.History;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Pages.Settings;

/// <summary>The signed-in user's retention per workflow, overriding the instance's (<c>Retention:*</c>).</summary>
[ProjectRights(ProjectRole.Admin, View = ProjectRole.Admin)]
public sealed class RetentionModel(AppDbContext db, IOptions<RetentionOptions> options) : PageModel
{
    public RetentionOptions Global => options.Value;
    public IReadOnlyList<WorkflowRetention> Overrides { get; private set; } = [];
    public IReadOnlyList<string> WorkflowIds { get; private set; } = [];
    public Dictionary<string, string> Errors { get; } = [];

    [BindProperty] public string? WorkflowId { get; set; }
    [BindProperty] public int? Days { get; set; }
    [BindProperty] public int? FailedDays { get; set; }
    [BindProperty] public int? MaxRuns { get; set; }

    private string Owner => User.OwnerId();

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    /// <summary>Sets (or replaces) the workflow's own retention; an empty field follows the instance's setting.</summary>
    public async Task<IActionResult> OnPostSaveAsync(CancellationToken cancellationToken)
    {
        var workflow = WorkflowId?.Trim() ?? "";
        if (!await db.Workflows.AnyAsync(w => w.OwnerId == Owner && w.WorkflowId == workflow && w.DeletedAt == null, cancellationToken))
        {
            Errors["WorkflowId"] = $"You have no workflow '{workflow}': choose one from the list.";
        }
        if (Days is < 1 or > WorkflowRetention.MaxDays)
        {
            Errors["Days"] = $"Days must be a whole number from 1 to {WorkflowRetention.MaxDays}; 0 or a negative number is not allowed. Leave it empty to follow the instance's {Global.Days} day(s).";
        }
        if (FailedDays is < 1 or > WorkflowRetention.MaxDays)
        {
            Errors["FailedDays"] = $"Days for failed runs must be a whole number from 1 to {WorkflowRetention.MaxDays}; 0 or a negative number is not allowed.";
        }
        else if (FailedDays is { } failed && failed < (Days ?? Global.Days))
        {
            Errors["FailedDays"] = $"Failed runs are kept longer than the others, not shorter: give at least {Days ?? Global.Days} day(s), or leave it empty.";
        }
        if (MaxRuns is < 1)
        {
            Errors["MaxRuns"] = "Runs kept must be 1 or more; 0 or a negative number is not allowed. Leave it empty for no limit of the workflow's own.";
        }
        if (Days is null && FailedDays is null && MaxRuns is null)
        {
            Errors["Days"] = "Give at least one value: days, days for failed runs, or runs kept.";
        }
        if (Errors.Count > 0)
        {
            await LoadAsync(cancellationToken);
            return Page();
        }
        var own = await db.WorkflowRetentions.SingleOrDefaultAsync(r => r.OwnerId == Owner && r.WorkflowId == workflow, cancellationToken);
        if (own is null)
        {
            own = new WorkflowRetention { OwnerId = Owner, WorkflowId = workflow };
            db.WorkflowRetentions.Add(own);
        }
        (own.Days, own.FailedDays, own.MaxRuns) = (Days, FailedDays, MaxRuns);
        await db.SaveChangesAsync(cancellationToken);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id, CancellationToken cancellationToken)
    {
        await db.WorkflowRetentions.Where(r => r.Id == id && r.OwnerId == Owner).ExecuteDeleteAsync(cancellationToken);
        return RedirectToPage();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Overrides = await db.WorkflowRetentions.AsNoTracking().Where(r => r.OwnerId == Owner).OrderBy(r => r.WorkflowId).ToListAsync(cancellationToken);
        WorkflowIds = await db.Workflows.AsNoTracking().Where(w => w.OwnerId == Owner && w.DeletedAt == null)
            .OrderBy(w => w.WorkflowId).Select(w => w.WorkflowId).ToListAsync(cancellationToken);
    }
}
