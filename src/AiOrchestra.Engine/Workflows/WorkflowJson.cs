namespace AiOrchestra.Engine.Workflows;

/// <summary>Reads and writes the seed-compatible JSON workflow format.</summary>
public static class WorkflowJson
{
    /// <summary>
    /// Reads a workflow file. On any problem (malformed JSON, unknown fields, wrong types, size limits)
    /// returns every error found and no workflow.
    /// </summary>
    public static WorkflowParseResult Parse(string json) => throw new NotImplementedException();

    /// <summary>Writes the workflow with the long spellings (workflow_id, step_id, step_type, parameters).</summary>
    public static string Serialize(Workflow workflow, bool indented = true) => throw new NotImplementedException();
}

/// <summary>Either a workflow or the list of errors that prevented reading one.</summary>
public sealed record WorkflowParseResult(Workflow? Workflow, IReadOnlyList<ValidationError> Errors)
{
    public bool Succeeded => Workflow is not null && Errors.Count == 0;
}
