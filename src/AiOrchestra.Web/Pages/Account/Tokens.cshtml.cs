using System.Security.Claims;
using AiOrchestra.Web.Tokens;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AiOrchestra.Web.Pages.Account;

/// <summary>The signed-in user's personal access tokens for scripts and CI: make one (shown once), see their last use, revoke.</summary>
public sealed class TokensModel(PersonalTokens tokens, AiOrchestra.Web.Projects.ProjectStore projects) : PageModel
{
    public List<PersonalAccessToken> Tokens { get; private set; } = [];

    /// <summary>The token just made: shown on this answer only, since only its hash is kept.</summary>
    public string? NewToken { get; private set; }

    public string? Message { get; private set; }

    public Dictionary<string, string> Errors { get; private set; } = [];

    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public List<string> Scopes { get; set; } = [];

    [BindProperty]
    public int? Days { get; set; } = 30;

    /// <summary>The project the new token works in; its user's personal project when empty.</summary>
    [BindProperty]
    public string? Project { get; set; }

    /// <summary>The projects a token may be made for.</summary>
    public List<AiOrchestra.Web.Projects.ProjectSeat> Projects { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Tokens = await tokens.ListAsync(UserId, cancellationToken);
        Projects = await projects.ListAsync(UserId, cancellationToken);
    }

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        var (token, errors) = await tokens.CreateAsync(UserId, Name, Scopes, Days, cancellationToken, Project);
        Errors = errors;
        if (token is null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else
        {
            NewToken = token;
            Message = $"Token '{Name!.Trim()}' is made. Copy it now: it is not shown again.";
            Name = null;
        }
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(long id, CancellationToken cancellationToken)
    {
        if (!await tokens.RevokeAsync(UserId, id, cancellationToken))
        {
            return NotFound();
        }
        Message = "The token is revoked: it no longer works.";
        await LoadAsync(cancellationToken);
        return Page();
    }

    private string UserId => User.FindFirstValue(ClaimTypes.NameIdentifier)!;
}
