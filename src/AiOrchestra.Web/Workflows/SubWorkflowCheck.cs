using AiOrchestra.Engine.Workflows;
using AiOrchestra.Web.Data;
using AiOrchestra.Web.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AiOrchestra.Web.Workflows;

/// <summary>
/// Before a save: the sub-workflows a workflow names must be the owner's, and the chains they start must neither come
/// back to it nor nest deeper than <c>Runs__MaxWorkflowDepth</c>. Reads only the workflows on those chains.
/// </summary>
public sealed class SubWorkflowCheck(WorkflowVersionCache versions, IOptions<RunOptions> options)
{
    public async Task<IReadOnlyList<ValidationError>> CheckAsync(AppDbContext db, string ownerId, Workflow workflow, CancellationToken cancellationToken)
    {
        var wanted = SubWorkflows.References(workflow).Select(r => r.WorkflowId).ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return [];
        }
        var maxDepth = options.Value.MaxWorkflowDepth;
        var stored = new Dictionary<string, Workflow>(StringComparer.Ordinal) { [workflow.WorkflowId] = workflow };
        // one query per level of the chains, as deep as the limit and one more (a deeper chain is an error already)
        for (var level = 0; level <= maxDepth && wanted.Count > 0; level++)
        {
            var ids = wanted.ToList();
            var found = await db.WorkflowVersions.AsNoTracking()
                .Where(v => v.Record!.OwnerId == ownerId && ids.Contains(v.Record.WorkflowId) && v.Record.DeletedAt == null
                            && v.Number == v.Record.CurrentVersion)
                .Select(v => new { v.Id, v.Record!.WorkflowId, v.Definition })
                .ToListAsync(cancellationToken);
            wanted.Clear();
            foreach (var version in found)
            {
                var next = versions.GetOrParse(version.Id, version.Definition);
                stored[version.WorkflowId] = next;
                wanted.UnionWith(SubWorkflows.References(next).Select(r => r.WorkflowId).Where(id => !stored.ContainsKey(id)));
            }
        }
        return SubWorkflows.ChainProblems(workflow, stored, maxDepth);
    }
}
