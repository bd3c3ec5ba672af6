using AiOrchestra.Web.Projects;
using System.Security.Claims;
using AiOrchestra.Web.Settings;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Settings;

/// <summary>Where Google sends the browser back after the user granted (or refused) Gmail access.</summary>
[ProjectRights(ProjectRole.Admin, View = ProjectRole.Admin)]
public sealed class GmailCallbackModel(GmailAuthorization gmail) : PageModel
{
    public string? Problem { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        // read from the query, not bound as arguments: MVC's trace log writes handler arguments out, and the code is a credential
        var query = Request.Query;
        var userId = User.FindFirstValue(ClaimTypes.NameIdentifier)!;
        Problem = await gmail.CompleteAsync(userId, User.OwnerId(), query["code"], query["state"], query["error"], gmail.RedirectUrl(Request), cancellationToken);
        return Problem is null ? Redirect("/Settings?authorized=gmail#integration-gmail") : Page();
    }
}
