using AiOrchestra.Web.Projects;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Projects;

/// <summary>Administrators' page: the shared projects, and creating one (its members are added on its Members page).</summary>
public sealed class IndexModel(ProjectStore projects) : PageModel
{
    public List<ProjectSeat> Projects { get; private set; } = [];

    public string? Error { get; private set; }

    [BindProperty]
    public string Name { get; set => field = value ?? ""; } = "";

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Projects = (await projects.ListAsync(User.UserId(), cancellationToken)).Where(p => !p.Personal).ToList();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var (id, error) = await projects.CreateAsync(Name, cancellationToken);
        if (error is not null)
        {
            Error = error;
            await OnGetAsync(cancellationToken);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        // straight into the new project, to add its members
        Response.Cookies.Append(ProjectRequirement.Cookie, id!, SwitchModel.CookieOptions(Request));
        return Redirect("/Projects/Members");
    }
}
