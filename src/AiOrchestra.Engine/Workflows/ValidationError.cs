namespace AiOrchestra.Engine.Workflows;

/// <summary>One problem in a workflow: the JSON path it concerns and a sentence saying what to fix.</summary>
public sealed record ValidationError(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
