using System.Text.Json.Nodes;

namespace AiOrchestra.Engine.Execution;

/// <summary>One note a step that works in parts wrote down as it went (an agent's model turn or tool call).</summary>
/// <param name="ItemIndex">The for_each item the note belongs to; -1 for a step without for_each.</param>
public sealed record JournalEntry(string StepId, int StepIndex, int ItemIndex, int Sequence, JsonObject Entry, DateTimeOffset RecordedAt);

/// <summary>
/// The notes of one step call, in order: those an earlier attempt or an earlier process recorded, then each one added
/// now. <see cref="AddAsync"/> returns once the note is durable, so a step that records a part before it goes on never
/// does that part again after a crash or a retry: it reads <see cref="Entries"/> and continues after them.
/// </summary>
public sealed class StepJournal
{
    private readonly List<JsonObject> _entries;
    private readonly Func<int, JsonObject, ValueTask> _record;

    public StepJournal(IEnumerable<JsonObject> recorded, Func<int, JsonObject, ValueTask> record)
    {
        _entries = recorded.ToList();
        _record = record;
    }

    /// <summary>A journal kept in memory only (hosts without a store, tests of a single step type).</summary>
    public static StepJournal InMemory() => new([], (_, _) => ValueTask.CompletedTask);

    public IReadOnlyList<JsonObject> Entries => _entries;

    /// <summary>Appends <paramref name="entry"/> and returns once it is written down.</summary>
    public ValueTask AddAsync(JsonObject entry)
    {
        int sequence;
        lock (_entries)
        {
            sequence = _entries.Count;
            _entries.Add(entry);
        }
        return _record(sequence, entry);
    }
}
