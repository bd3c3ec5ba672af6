using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace AiOrchestra.Web.Versions;

/// <summary>
/// One line of one side of a diff: <c>unchanged</c>, <c>deleted</c> (old side), <c>inserted</c> (new side),
/// <c>modified</c>, or <c>imaginary</c> (the blank facing a line only the other side has). <see cref="Number"/> is
/// the line's number in its own text; null for an imaginary line.
/// </summary>
public sealed record DiffLine(string Change, int? Number, string Text);

/// <summary>Two versions of a text side by side: both sides have the same number of lines, row by row.</summary>
public sealed record SideBySideDiff(int From, int To, IReadOnlyList<DiffLine> Old, IReadOnlyList<DiffLine> New)
{
    public bool HasChanges => Old.Any(line => line.Change != "unchanged") || New.Any(line => line.Change != "unchanged");
}

/// <summary>Side-by-side diffs of versions (of a workflow's JSON, of a prompt), computed by DiffPlex line by line.</summary>
public static class VersionDiff
{
    public static SideBySideDiff Of(int from, string oldText, int to, string newText)
    {
        // whitespace counts: a prompt's indentation or a trailing space is part of what the model is sent
        var model = SideBySideDiffBuilder.Diff(oldText, newText, ignoreWhiteSpace: false, ignoreCase: false);
        return new SideBySideDiff(from, to, Lines(model.OldText), Lines(model.NewText));
    }

    private static List<DiffLine> Lines(DiffPaneModel pane) =>
        pane.Lines.Select(line => new DiffLine(line.Type.ToString().ToLowerInvariant(), line.Position, line.Text ?? "")).ToList();
}
