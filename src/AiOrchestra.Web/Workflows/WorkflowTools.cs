using AiOrchestra.Engine.Steps.Agent;
using AiOrchestra.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace AiOrchestra.Web.Workflows;

/// <summary>An owner's workflows as agent tools: the current version's description and variables.</summary>
internal sealed class WorkflowTools(IDbContextFactory<AppDbContext> dbs, WorkflowVersionCache versions) : IWorkflowTools
{
    public async Task<WorkflowToolInfo?> FindAsync(string ownerId, string workflowId, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var current = await db.WorkflowVersions.AsNoTracking()
            .Where(v => v.Record!.OwnerId == ownerId && v.Record.WorkflowId == workflowId && v.Record.DeletedAt == null
                        && v.Number == v.Record.CurrentVersion)
            .Select(v => new { v.Id, v.Definition })
            .FirstOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return null;
        }
        var workflow = versions.GetOrParse(current.Id, current.Definition);
        return new WorkflowToolInfo(workflow.Description ?? "", workflow.Variables);
    }
}
