using System.Collections.Concurrent;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Workflows;

/// <summary>
/// Parsed workflow versions by version id. Versions never change once written, so a cached one is never stale;
/// the cache is emptied when it grows past its bound, which keeps memory flat.
/// </summary>
public sealed class WorkflowVersionCache
{
    private const int MaxEntries = 2048;
    private readonly ConcurrentDictionary<long, Workflow> _versions = new();

    public Workflow GetOrParse(long versionId, string definition)
    {
        if (_versions.TryGetValue(versionId, out var cached))
        {
            return cached;
        }
        var workflow = Parse(definition);
        if (_versions.Count >= MaxEntries)
        {
            _versions.Clear();
        }
        _versions[versionId] = workflow;
        return workflow;
    }

    public bool TryGet(long versionId, out Workflow workflow) => _versions.TryGetValue(versionId, out workflow!);

    internal static Workflow Parse(string definition)
    {
        var parsed = WorkflowJson.Parse(definition);
        return parsed.Succeeded ? parsed.Workflow! : throw new InvalidOperationException(
            "A stored workflow version no longer reads: " + string.Join("; ", parsed.Errors));
    }
}
