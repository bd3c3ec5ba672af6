using System.Collections.Concurrent;
using AiOrchestra.Engine.Workflows;

namespace AiOrchestra.Web.Workflows;

/// <summary>
/// Parsed workflow versions by version id. Versions never change once written, so a cached one is never stale;
/// the cache is emptied when it grows past its bounds (entries, or characters of definitions: one workflow may be
/// 1 MiB), which keeps memory flat.
/// </summary>
public sealed class WorkflowVersionCache
{
    private const int MaxEntries = 2048;
    private const long MaxCharacters = 16 * 1024 * 1024;
    private readonly ConcurrentDictionary<long, Workflow> _versions = new();
    private long _characters;

    public Workflow GetOrParse(long versionId, string definition)
    {
        if (_versions.TryGetValue(versionId, out var cached))
        {
            return cached;
        }
        var workflow = Parse(definition);
        if (_versions.Count >= MaxEntries || Interlocked.Add(ref _characters, definition.Length) > MaxCharacters)
        {
            _versions.Clear();
            Interlocked.Exchange(ref _characters, definition.Length);
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
