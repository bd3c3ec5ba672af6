using AiOrchestra.Web.Audit;
using System.Security.Cryptography;
using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Triggers;

/// <summary>
/// Keeps the <see cref="TriggerState"/> rows in step with each workflow's current version, and holds the webhook
/// tokens and secrets: made unguessable here, stored encrypted, rotated on request, never logged.
/// </summary>
public sealed class TriggerStore(IDataProtectionProvider protection, WebhookRoutes routes, AuditLog audit)
{
    private readonly IDataProtector _protector = protection.CreateProtector("AiOrchestra.Triggers");

    /// <summary>
    /// Brings the workflow's trigger rows in line with <paramref name="workflow"/> inside the caller's transaction:
    /// new triggers get a row (a webhook its token), removed ones lose theirs, a changed schedule gets its next due
    /// time again, a changed poll source a new baseline, a disabled trigger no due time.
    /// </summary>
    public async Task SyncAsync(AppDbContext db, WorkflowRecord record, Workflow workflow, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var states = await db.TriggerStates.Where(t => t.WorkflowRecordId == record.Id).ToListAsync(cancellationToken);
        foreach (var trigger in workflow.Triggers)
        {
            var type = TriggerNames.Text(trigger.Type);
            var state = states.FirstOrDefault(s => s.TriggerId == trigger.TriggerId);
            if (state is not null && state.Type != type)
            {
                db.TriggerStates.Remove(state);
                await db.SaveChangesAsync(cancellationToken);
                states.Remove(state);
                state = null;
            }
            if (state is null)
            {
                state = new TriggerState { WorkflowRecordId = record.Id, OwnerId = record.OwnerId, WorkflowId = record.WorkflowId, TriggerId = trigger.TriggerId, Type = type };
                db.TriggerStates.Add(state);
                states.Add(state);
            }
            state.Enabled = trigger.Enabled;
            switch (trigger.Type)
            {
                case TriggerType.Webhook when state.Token is null:
                    var token = NewToken();
                    state.Token = _protector.Protect(token);
                    state.TokenHash = Hash(token);
                    break;
                case TriggerType.Schedule:
                    var scheduleKey = $"{trigger.Cron}|{trigger.TimeZone}|{trigger.EverySeconds}";
                    if (!trigger.Enabled)
                    {
                        state.NextDueAt = null;
                    }
                    else if (state.ScheduleKey != scheduleKey || state.NextDueAt is null)
                    {
                        state.NextDueAt = TriggerSchedule.Next(trigger, now);
                    }
                    state.ScheduleKey = scheduleKey;
                    break;
                case TriggerType.Poll:
                    var source = $"{trigger.StepType}|{trigger.Action}|{trigger.Parameters.ToJsonString()}|{trigger.ItemId}";
                    if (state.ScheduleKey != source)
                    {
                        // another source: what was seen of the old one says nothing about the new one
                        state.Cursor = null;
                    }
                    state.ScheduleKey = source;
                    state.NextDueAt = trigger.Enabled ? state.NextDueAt ?? now : null;
                    break;
            }
        }
        foreach (var removed in states.Where(s => workflow.Triggers.All(t => t.TriggerId != s.TriggerId)).ToList())
        {
            db.TriggerStates.Remove(removed);
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>After a workflow's save or delete committed: the webhook routes read it again.</summary>
    public void Changed() => routes.Clear();

    /// <summary>The workflow is deleted: its triggers stop (saving it again brings them back).</summary>
    public async Task DisableAllAsync(AppDbContext db, string ownerId, string workflowId, CancellationToken cancellationToken)
    {
        await db.TriggerStates.Where(t => t.OwnerId == ownerId && t.WorkflowId == workflowId)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Enabled, false).SetProperty(t => t.NextDueAt, (DateTimeOffset?)null), cancellationToken);
        routes.Clear();
    }

    /// <summary>The owner's workflow's trigger rows, by trigger id.</summary>
    public static async Task<Dictionary<string, TriggerState>> ListAsync(AppDbContext db, string ownerId, string workflowId, CancellationToken cancellationToken) =>
        await db.TriggerStates.AsNoTracking()
            .Where(t => t.OwnerId == ownerId && t.WorkflowId == workflowId)
            .ToDictionaryAsync(t => t.TriggerId, StringComparer.Ordinal, cancellationToken);

    /// <summary>The webhook's URL path (<c>/hooks/&lt;token&gt;</c>), or null when the row holds no readable token.</summary>
    public string? HookPath(TriggerState state)
    {
        if (state.Token is null)
        {
            return null;
        }
        try
        {
            return "/hooks/" + _protector.Unprotect(state.Token);
        }
        catch (CryptographicException)
        {
            // the Data Protection keys were replaced: rotating the token gives a new URL
            return null;
        }
    }

    /// <summary>A new token for the owner's webhook: the old URL stops working at once. Null when there is no such webhook.</summary>
    public async Task<string?> RotateTokenAsync(AppDbContext db, string ownerId, string workflowId, string triggerId, CancellationToken cancellationToken)
    {
        var token = NewToken();
        var changed = await db.TriggerStates
            .Where(t => t.OwnerId == ownerId && t.WorkflowId == workflowId && t.TriggerId == triggerId && t.Type == "webhook")
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Token, _protector.Protect(token)).SetProperty(t => t.TokenHash, Hash(token)), cancellationToken);
        routes.Clear();
        if (changed > 0)
        {
            await audit.WriteAsync("trigger.url-rotated", $"{workflowId}/{triggerId}", cancellationToken: cancellationToken);
        }
        return changed == 0 ? null : "/hooks/" + token;
    }

    /// <summary>A new signing secret for the owner's webhook, returned once (only its encrypted form is kept).</summary>
    public async Task<string?> NewSecretAsync(AppDbContext db, string ownerId, string workflowId, string triggerId, CancellationToken cancellationToken)
    {
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var changed = await db.TriggerStates
            .Where(t => t.OwnerId == ownerId && t.WorkflowId == workflowId && t.TriggerId == triggerId && t.Type == "webhook")
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Secret, _protector.Protect(secret)), cancellationToken);
        routes.Clear();
        if (changed > 0)
        {
            await audit.WriteAsync("trigger.secret-made", $"{workflowId}/{triggerId}", cancellationToken: cancellationToken);
        }
        return changed == 0 ? null : secret;
    }

    internal byte[]? SecretBytes(string? protectedSecret)
    {
        if (protectedSecret is null)
        {
            return null;
        }
        try
        {
            return System.Text.Encoding.UTF8.GetBytes(_protector.Unprotect(protectedSecret));
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>256 random bits, URL-safe: unguessable, and short enough to paste.</summary>
    private static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    internal static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
