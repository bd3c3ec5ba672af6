using System.Collections.Frozen;
using System.Threading.Channels;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Alerts;

/// <summary>What happened that a rule may care about: a run finished, or a trigger fired (or failed to).</summary>
internal sealed record AlertSignal(
    string OwnerId, string WorkflowId, string? RunId, RunStatus? Status, TimeSpan Duration, string? TriggerId, bool TriggerOk, string? Error);

/// <summary>
/// The runs' and triggers' side of alerting: a non-blocking hand-off. Only owners with rules are signalled (a set
/// lookup otherwise), and a full buffer drops the signal rather than making a run wait.
/// </summary>
public sealed class AlertSignals(IDbContextFactory<AppDbContext> contexts)
{
    private readonly Channel<AlertSignal> _signals = Channel.CreateBounded<AlertSignal>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private volatile FrozenSet<string> _owners = FrozenSet<string>.Empty;

    internal ChannelReader<AlertSignal> Reader => _signals.Reader;

    public void RunFinished(string ownerId, string workflowId, string runId, RunStatus status, string? error, TimeSpan duration)
    {
        if (_owners.Contains(ownerId))
        {
            _signals.Writer.TryWrite(new AlertSignal(ownerId, workflowId, runId, status, duration, null, false, error));
        }
    }

    public void TriggerFired(string ownerId, string workflowId, string triggerId, bool ok, string? error = null)
    {
        if (_owners.Contains(ownerId))
        {
            _signals.Writer.TryWrite(new AlertSignal(ownerId, workflowId, null, null, TimeSpan.Zero, triggerId, ok, error));
        }
    }

    /// <summary>Reads which owners have rules; called at start and whenever rules change.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owners = await db.AlertRules.Select(r => r.OwnerId).Distinct().ToListAsync(cancellationToken);
        _owners = owners.ToFrozenSet(StringComparer.Ordinal);
    }
}
