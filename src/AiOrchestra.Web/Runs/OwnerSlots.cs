namespace AiOrchestra.Web.Runs;

/// <summary>
/// Each owner's runs in flight in this worker, so one owner holds at most <c>ceil(Runs:MaxShare × Runs:Concurrency)</c>
/// slots and the others' queued runs are claimed while that owner's wait. Remembers who was turned away, so the slot
/// that owner frees wakes the worker at once instead of at its next poll.
/// </summary>
internal sealed class OwnerSlots(int perOwner)
{
    private readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);
    private readonly HashSet<string> _turnedAway = new(StringComparer.Ordinal);

    public int PerOwner { get; } = perOwner;

    /// <summary>Takes a slot for a queued run of <paramref name="ownerId"/>; false when the owner already holds its share.</summary>
    public bool TryTake(string ownerId)
    {
        lock (_held)
        {
            var held = _held.GetValueOrDefault(ownerId);
            if (held >= PerOwner)
            {
                _turnedAway.Add(ownerId);
                return false;
            }
            _held[ownerId] = held + 1;
            return true;
        }
    }

    /// <summary>Takes a slot whatever the owner holds: a run taken over from a crash was admitted before and must go on.</summary>
    public void Take(string ownerId)
    {
        lock (_held)
        {
            _held[ownerId] = _held.GetValueOrDefault(ownerId) + 1;
        }
    }

    /// <summary>Gives a slot back; true when the owner had runs turned away that may now be claimed.</summary>
    public bool Release(string ownerId)
    {
        lock (_held)
        {
            var held = _held.GetValueOrDefault(ownerId) - 1;
            if (held > 0)
            {
                _held[ownerId] = held;
            }
            else
            {
                _held.Remove(ownerId);
            }
            return _turnedAway.Remove(ownerId);
        }
    }
}
