using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages.Account;

/// <summary>The one-time page that creates the first administrator; once anyone exists it is gone (404).</summary>
public sealed class SetupModel(UserManager<AppUser> users, SignInManager<AppUser> signIn, AppDbContext db, StoreSql sql, Examples examples) : PageModel
{
    private static readonly SemaphoreSlim Once = new(1, 1);

    // model binding turns an empty field into null; "" keeps the checks below simple
    [BindProperty]
    public string UserName { get; set => field = value ?? ""; } = "";

    [BindProperty]
    public string Password { get; set => field = value ?? ""; } = "";

    [BindProperty]
    public string Confirm { get; set => field = value ?? ""; } = "";

    public List<string> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await db.Users.AnyAsync(cancellationToken) ? NotFound() : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        // two first visitors at once must not both become administrators, in this process or (PostgreSQL) another
        await Once.WaitAsync(cancellationToken);
        try
        {
            await using var firstRun = sql.Provider == DatabaseProvider.Postgres
                ? await Data.Postgres.PostgresStartup.LockFirstRunAsync(db, cancellationToken)
                : null;
            if (await db.Users.AnyAsync(cancellationToken))
            {
                return NotFound();
            }
            if (string.IsNullOrWhiteSpace(UserName))
            {
                Errors.Add("Choose a user name.");
            }
            if (Password.Length == 0)
            {
                Errors.Add("Choose a password.");
            }
            else if (Password != Confirm)
            {
                Errors.Add("The two passwords differ; type the same password twice.");
            }
            if (Errors.Count > 0)
            {
                return Page();
            }
            var admin = new AppUser { UserName = UserName.Trim() };
            var created = await users.CreateAsync(admin, Password);
            if (!created.Succeeded)
            {
                Errors.AddRange(created.Errors.Select(e => e.Description));
                return Page();
            }
            if (firstRun is not null)
            {
                await firstRun.CommitAsync(cancellationToken);
            }
            await examples.LoadForUserAsync(admin.Id, cancellationToken);
            await signIn.SignInAsync(admin, isPersistent: true);
            return Redirect("/");
        }
        finally
        {
            Once.Release();
        }
    }
}
