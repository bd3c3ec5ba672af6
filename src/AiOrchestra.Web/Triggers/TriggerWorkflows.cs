using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Workflows;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Triggers;

/// <summary>The trigger of a row as the workflow's current version defines it (null when it is gone, disabled or the workflow deleted).</summary>
public sealed class TriggerWorkflows(WorkflowVersionCache versions)
{
    public async Task<(Workflow Workflow, WorkflowTrigger Trigger)?> FindAsync(AppDbContext db, TriggerState state, CancellationToken cancellationToken)
    {
        var current = await db.Workflows.AsNoTracking()
            .Where(w => w.Id == state.WorkflowRecordId && w.DeletedAt == null)
            .SelectMany(w => w.Versions.Where(v => v.Number == w.CurrentVersion).Select(v => new { v.Id, v.Definition }))
            .FirstOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return null;
        }
        var workflow = versions.GetOrParse(current.Id, current.Definition);
        var trigger = workflow.Triggers.FirstOrDefault(t => t.TriggerId == state.TriggerId && TriggerNames.Text(t.Type) == state.Type);
        return trigger is { Enabled: true } ? (workflow, trigger) : null;
    }
}
