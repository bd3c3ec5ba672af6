using System.Globalization;
using System.Text;
using System.Text.Json;
using AiOrchestra.Web.Audit;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Pages.Users;

/// <summary>Administrators' audit log: filtered by action, actor and dates, newest first; exported as CSV or JSON. Read only.</summary>
public sealed class AuditModel(AppDbContext db) : PageModel
{
    public const int PageSize = 200;
    public const int MaxExport = 100_000;

    [BindProperty(SupportsGet = true)]
    public string? Action { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Actor { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public DateOnly? To { get; set; }

    public List<AuditEntry> Entries { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Entries = await Filtered().Take(PageSize).ToListAsync(cancellationToken);

    public async Task<IActionResult> OnGetExportAsync(string? format, CancellationToken cancellationToken)
    {
        var entries = await Filtered().Take(MaxExport).ToListAsync(cancellationToken);
        if (format == "json")
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(entries.Select(e => new
            {
                at = e.At, actor = e.ActorName, actor_id = e.ActorId, action = e.Action, target = e.Target, detail = e.Detail, address = e.Address,
            }));
            return File(json, "application/json", "audit.json");
        }
        var csv = new StringBuilder("at,actor,actor_id,action,target,detail,address\n");
        foreach (var e in entries)
        {
            csv.AppendJoin(',', new[] { e.At.ToString("o", CultureInfo.InvariantCulture), e.ActorName, e.ActorId, e.Action, e.Target, e.Detail, e.Address }.Select(Cell)).Append('\n');
        }
        return File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv", "audit.csv");
    }

    /// <summary>A CSV cell, quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it as a formula.</summary>
    private static string Cell(string? value)
    {
        value ??= "";
        if (value.Length > 0 && "=+-@".Contains(value[0]))
        {
            value = "'" + value;
        }
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    private IQueryable<AuditEntry> Filtered()
    {
        var query = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(Action))
        {
            var action = Action.Trim();
            query = query.Where(e => e.Action.StartsWith(action));
        }
        if (!string.IsNullOrWhiteSpace(Actor))
        {
            var actor = Actor.Trim();
            query = query.Where(e => e.ActorName == actor);
        }
        if (From is { } from)
        {
            var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            query = query.Where(e => e.At >= start);
        }
        if (To is { } to)
        {
            var end = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            query = query.Where(e => e.At < end);
        }
        return query.OrderByDescending(e => e.Id);
    }

    public string ExportUrl(string format) =>
        Url.Page("/Users/Audit", "Export", new { format, Action, Actor, From = From?.ToString("yyyy-MM-dd"), To = To?.ToString("yyyy-MM-dd") })!;
}
