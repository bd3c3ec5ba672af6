using AiOrchestra.Web.Projects;
using AiOrchestra.Web.Alerts;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace AiOrchestra.Web.Pages.Settings;

/// <summary>The signed-in user's alert channels (with a Test button each), rules and alert history.</summary>
[ProjectRights(ProjectRole.Admin, View = ProjectRole.Admin)]
public sealed class AlertsModel(AppDbContext db, AlertSender sender, AlertSignals signals, TimeProvider time) : PageModel
{
    private const int MaxRecipients = 20;
    private const int MaxSeconds = 7 * 24 * 3600;

    public IReadOnlyList<AlertChannel> Channels { get; private set; } = [];
    public IReadOnlyList<AlertRule> Rules { get; private set; } = [];
    public IReadOnlyList<AlertEvent> History { get; private set; } = [];
    public IReadOnlyList<string> WorkflowIds { get; private set; } = [];

    /// <summary>Errors of the add forms, by field name.</summary>
    public Dictionary<string, string> Errors { get; } = [];

    public long? TestedChannel { get; private set; }
    public string? TestResult { get; private set; }
    public bool TestFailed { get; private set; }

    [BindProperty] public string? ChannelName { get; set; }
    [BindProperty] public string ChannelKind { get; set; } = AlertChannelKinds.Slack;
    [BindProperty] public string? ChannelTarget { get; set; }
    [BindProperty] public long? RuleChannel { get; set; }
    [BindProperty] public string? RuleWorkflow { get; set; }
    [BindProperty] public string RuleKind { get; set; } = AlertRuleKinds.RunFailed;
    [BindProperty] public int? RuleThreshold { get; set; }

    private string Owner => User.OwnerId();

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAddChannelAsync(CancellationToken cancellationToken)
    {
        var name = ChannelName?.Trim() ?? "";
        var target = ChannelTarget?.Trim() ?? "";
        if (name.Length is 0 or > AlertLimits.NameLength)
        {
            Errors["ChannelName"] = $"Give the channel a name of 1 to {AlertLimits.NameLength} characters.";
        }
        else if (await db.AlertChannels.AnyAsync(c => c.OwnerId == Owner && c.Name == name, cancellationToken))
        {
            Errors["ChannelName"] = $"You have a channel named '{name}' already: choose another name.";
        }
        if (!AlertChannelKinds.All.Contains(ChannelKind))
        {
            Errors["ChannelKind"] = "Choose a webhook (Slack-compatible or generic JSON) or e-mail.";
        }
        else if (TargetProblem(ChannelKind, target) is { } problem)
        {
            Errors["ChannelTarget"] = problem;
        }
        if (await db.AlertChannels.CountAsync(c => c.OwnerId == Owner, cancellationToken) >= AlertLimits.ChannelsPerOwner)
        {
            Errors["ChannelName"] = $"You have {AlertLimits.ChannelsPerOwner} channels, the most allowed: delete one first.";
        }
        if (Errors.Count > 0)
        {
            await LoadAsync(cancellationToken);
            return Page();
        }
        db.AlertChannels.Add(new AlertChannel
        {
            OwnerId = Owner, Name = name, Kind = ChannelKind, ProtectedTarget = sender.Protect(target), CreatedAt = time.GetUtcNow(),
        });
        await db.SaveChangesAsync(cancellationToken);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDeleteChannelAsync(long id, CancellationToken cancellationToken)
    {
        await db.AlertChannels.Where(c => c.Id == id && c.OwnerId == Owner).ExecuteDeleteAsync(cancellationToken);
        await signals.ReloadAsync(cancellationToken);
        return RedirectToPage();
    }

    /// <summary>Sends a test alert through the channel now (not retried) and shows the outcome beside the button.</summary>
    public async Task<IActionResult> OnPostTestAsync(long id, CancellationToken cancellationToken)
    {
        var channel = await db.AlertChannels.SingleOrDefaultAsync(c => c.Id == id && c.OwnerId == Owner, cancellationToken);
        if (channel is null)
        {
            return NotFound();
        }
        var now = time.GetUtcNow();
        var alert = new AlertEvent
        {
            OwnerId = Owner, ChannelId = channel.Id, Kind = "test", Title = $"Test of '{channel.Name}'",
            Message = "This is a test alert from AI Orchestra: the channel works.", Status = AlertEventStatus.Pending, CreatedAt = now,
        };
        var problem = await sender.SendAsync(channel, alert, cancellationToken);
        alert.Attempts = 1;
        alert.Status = problem is null ? AlertEventStatus.Sent : AlertEventStatus.Failed;
        alert.SentAt = problem is null ? time.GetUtcNow() : null;
        alert.LastError = problem;
        db.AlertEvents.Add(alert);
        await db.SaveChangesAsync(cancellationToken);

        TestedChannel = channel.Id;
        TestFailed = problem is not null;
        TestResult = problem is null ? "Sent." : "Failed: " + problem;
        Response.VaryOnHtmx();
        if (Request.IsHtmx())
        {
            return Partial("_AlertTestResult", this);
        }
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAddRuleAsync(CancellationToken cancellationToken)
    {
        var workflow = string.IsNullOrWhiteSpace(RuleWorkflow) ? null : RuleWorkflow.Trim();
        if (RuleChannel is not { } channelId || !await db.AlertChannels.AnyAsync(c => c.Id == channelId && c.OwnerId == Owner, cancellationToken))
        {
            Errors["RuleChannel"] = "Choose one of your channels (add one above first).";
        }
        if (workflow is not null && !await db.Workflows.AnyAsync(w => w.OwnerId == Owner && w.WorkflowId == workflow && w.DeletedAt == null, cancellationToken))
        {
            Errors["RuleWorkflow"] = $"You have no workflow '{workflow}': choose one from the list, or all workflows.";
        }
        if (!AlertRuleKinds.All.Contains(RuleKind))
        {
            Errors["RuleKind"] = "Choose when to alert.";
        }
        else if (AlertRuleKinds.NeedsThreshold(RuleKind))
        {
            var (max, what) = RuleKind == AlertRuleKinds.FailuresInRow ? (1000, "failures in a row") : (MaxSeconds, "seconds");
            if (RuleThreshold is not { } threshold || threshold < 1 || threshold > max)
            {
                Errors["RuleThreshold"] = $"Give the number of {what}: a whole number from 1 to {max}.";
            }
        }
        if (await db.AlertRules.CountAsync(r => r.OwnerId == Owner, cancellationToken) >= AlertLimits.RulesPerOwner)
        {
            Errors["RuleKind"] = $"You have {AlertLimits.RulesPerOwner} rules, the most allowed: delete one first.";
        }
        if (Errors.Count > 0)
        {
            await LoadAsync(cancellationToken);
            return Page();
        }
        db.AlertRules.Add(new AlertRule
        {
            OwnerId = Owner, ChannelId = RuleChannel!.Value, WorkflowId = workflow, Kind = RuleKind,
            Threshold = AlertRuleKinds.NeedsThreshold(RuleKind) ? RuleThreshold!.Value : 0, CreatedAt = time.GetUtcNow(),
        });
        await db.SaveChangesAsync(cancellationToken);
        await signals.ReloadAsync(cancellationToken);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDeleteRuleAsync(long id, CancellationToken cancellationToken)
    {
        await db.AlertRules.Where(r => r.Id == id && r.OwnerId == Owner).ExecuteDeleteAsync(cancellationToken);
        await signals.ReloadAsync(cancellationToken);
        return RedirectToPage();
    }

    public string ChannelNameOf(long id) => Channels.FirstOrDefault(c => c.Id == id)?.Name ?? "(deleted)";

    /// <summary>Where the channel sends, without the secret part of a webhook URL (its path and query).</summary>
    public string Destination(AlertChannel channel)
    {
        var target = sender.Unprotect(channel.ProtectedTarget);
        return channel.Kind == AlertChannelKinds.Email || !Uri.TryCreate(target, UriKind.Absolute, out var uri) ? target : $"{uri.Scheme}://{uri.Authority}/…";
    }

    private static string? TargetProblem(string kind, string target)
    {
        if (target.Length is 0 or > AlertLimits.TargetLength)
        {
            return kind == AlertChannelKinds.Email
                ? "Give one or more e-mail addresses, separated by commas."
                : $"Give the webhook's URL (http or https, at most {AlertLimits.TargetLength} characters).";
        }
        if (kind != AlertChannelKinds.Email)
        {
            return Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? null
                : $"'{target}' is not an http or https URL: paste the webhook's full address (for Slack, https://hooks.slack.com/services/…).";
        }
        var addresses = target.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (addresses.Length > MaxRecipients)
        {
            return $"At most {MaxRecipients} recipients per channel.";
        }
        var wrong = addresses.FirstOrDefault(a => !MailboxAddress.TryParse(a, out var box) || !box.Address.Contains('@'));
        return wrong is null ? null : $"'{wrong}' is not an e-mail address.";
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Channels = await db.AlertChannels.AsNoTracking().Where(c => c.OwnerId == Owner).OrderBy(c => c.Name).ToListAsync(cancellationToken);
        Rules = await db.AlertRules.AsNoTracking().Where(r => r.OwnerId == Owner).OrderBy(r => r.Id).ToListAsync(cancellationToken);
        History = await db.AlertEvents.AsNoTracking().Where(e => e.OwnerId == Owner).OrderByDescending(e => e.Id)
            .Take(AlertLimits.HistoryShown).ToListAsync(cancellationToken);
        WorkflowIds = await db.Workflows.AsNoTracking().Where(w => w.OwnerId == Owner && w.DeletedAt == null)
            .OrderBy(w => w.WorkflowId).Select(w => w.WorkflowId).ToListAsync(cancellationToken);
    }
}
