using System.Security.Claims;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AiOrchestra.Web.Audit;

/// <summary>
/// Appends entries to the audit log. The actor is the signed-in user of the current request (cookie or token) unless
/// given (a sign-in names the account it tried); the address is the request's. Outside a request (start-up, the
/// command line) the actor is the app itself.
/// </summary>
public sealed class AuditLog(IDbContextFactory<AppDbContext> contexts, IHttpContextAccessor http, TimeProvider time)
{
    public const string App = "(app)";

    public async Task WriteAsync(string action, string target, string? detail = null, (string? Id, string Name)? actor = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.AuditEntries.Add(Entry(action, target, detail, actor));
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>For the few synchronous callers (the stored secrets).</summary>
    public void Write(string action, string target, string? detail = null)
    {
        using var db = contexts.CreateDbContext();
        db.AuditEntries.Add(Entry(action, target, detail, null));
        db.SaveChanges();
    }

    /// <summary>
    /// The <c>run.started</c> entry for a run a person started (<see cref="Data.RunOrigin.ByHand"/>) in the current
    /// signed-in request, for the caller to store in the same transaction as the run itself (no commit of its own on
    /// the execute path); null for any other run. <paramref name="more"/> is added to the detail (the run it repeats).
    /// </summary>
    internal AuditEntry? RunStarted(Data.Run run, string? more = null) =>
        Data.RunOrigin.ByHand(run.Origin) && http.HttpContext?.User.Identity?.IsAuthenticated == true
            ? Entry("run.started", run.WorkflowId, $"run {run.Id}, {run.Origin}{(more is null ? "" : ", " + more)}", null)
            : null;

    /// <summary>The user name of the current request's signed-in user; <see cref="App"/> outside a request.</summary>
    public string ActorName() => Cut(http.HttpContext?.User.Identity?.Name ?? App, 256);

    private AuditEntry Entry(string action, string target, string? detail, (string? Id, string Name)? actor)
    {
        var context = http.HttpContext;
        var user = context?.User;
        var actorId = actor?.Id ?? user?.FindFirstValue(ClaimTypes.NameIdentifier) ?? user?.FindFirstValue(JwtRegisteredClaimNames.Sub);
        var actorName = actor?.Name ?? user?.Identity?.Name ?? App;
        return new AuditEntry
        {
            At = time.GetUtcNow(),
            ActorId = actorId,
            ActorName = Cut(actorName, 256),
            Action = action,
            Target = Cut(target, 300),
            Detail = detail is null ? null : Cut(detail, 1000),
            Address = context?.Connection.RemoteIpAddress?.ToString(),
        };
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
