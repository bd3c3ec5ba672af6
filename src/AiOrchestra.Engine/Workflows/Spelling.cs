namespace AiOrchestra.Engine.Workflows;

/// <summary>Finds the name a person most likely meant, for "did you mean ...?" hints.</summary>
public static class Spelling
{
    // Longer names are never typos worth comparing, and bounding them keeps the O(n*m) distance cheap.
    private const int MaxComparedLength = 100;

    /// <summary>" (did you mean 'x'?)" for the closest candidate within a few edits, otherwise "".</summary>
    public static string DidYouMean(string written, IEnumerable<string> candidates)
    {
        var closest = Closest(written, candidates);
        return closest is null ? "" : $" (did you mean '{closest}'?)";
    }

    public static string? Closest(string written, IEnumerable<string> candidates)
    {
        if (written.Length == 0 || written.Length > MaxComparedLength)
        {
            return null;
        }
        var allowed = Math.Clamp(written.Length / 3, 1, 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            if (candidate == written || candidate.Length > MaxComparedLength)
            {
                continue;
            }
            var distance = Distance(written.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance <= allowed && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Edits (insert, delete, replace, swap two neighbours) that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
