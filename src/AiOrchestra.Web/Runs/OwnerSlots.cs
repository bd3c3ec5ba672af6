namespace AiOrchestra.Web.Runs;

/// <summary>
/// Each owner's runs in flight in this worker, so one owner holds at most <c>ceil(Runs:MaxShare × Runs:Concurrency)</c>
/// slots and the others' queued runs are claimed while that owner's wait. Remembers who was turned away, so the slot
/// that owner frees wakes the worker at once instead of at its next poll. The owner is the run's project (a personal
/// project's id is its user's): a shared project with many members gets one share, as one person does.
/// </summary>
internal sealed class OwnerSlots(int perOwner)
{
    private readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);
    private readonly HashSet<string> _turnedAway = new(StringComparer.Ordinal);

    public int PerOwner { get; } = perOwner;

    /// <summary>
    /// Whether <paramref name="ownerId"/> may have one more run started, counting <paramref name="alsoClaiming"/> runs the
    /// claim in progress already picked for them. Only reads: the worker takes the slots once the claim is committed, so
    /// a claim that is rolled back and written again counts nothing twice.
    /// </summary>
    public bool HasRoom(string ownerId, int alsoClaiming)
    {
        lock (_held)
        {
            if (_held.GetValueOrDefault(ownerId) + alsoClaiming < PerOwner)
            {
                return true;
            }
            _turnedAway.Add(ownerId);
            return false;
        }
    }

    /// <summary>How many more runs <paramref name="ownerId"/> may have started besides <paramref name="alsoClaiming"/>; only reads.</summary>
    public int Room(string ownerId, int alsoClaiming)
    {
        lock (_held)
        {
            return Math.Max(0, PerOwner - _held.GetValueOrDefault(ownerId) - alsoClaiming);
        }
    }

    /// <summary>Remembers that <paramref name="ownerId"/> reached their share with runs perhaps still queued.</summary>
    public void TurnAway(string ownerId)
    {
        lock (_held)
        {
            _turnedAway.Add(ownerId);
        }
    }

    /// <summary>A copy of the slots each owner holds now.</summary>
    public Dictionary<string, int> Held()
    {
        lock (_held)
        {
            return new Dictionary<string, int>(_held, StringComparer.Ordinal);
        }
    }

    /// <summary>Takes a slot for a claimed run (a run taken over from a crash too, whatever the owner holds: it was admitted before).</summary>
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
